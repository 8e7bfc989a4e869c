"""A stage whose decisions are global (mix caps, duplicates) run as map, decide, apply.

1. **map**: each upstream shard is read on the worker pool (or only some of its columns, in this
   process) and reduced to what the decision needs: a few columns, keys, signatures; no text.
2. **decide**: one process decides over those slim rows of the whole table: which records are
   rejected, with reason and detail, and the stage's side tables. Texts a decision must look at
   (candidate pairs, examples) are read back by their (shard, row) location (``ShardTexts``).
3. **apply** (the shuffle): the records are cut into ranges of record ids, each holding a shard's
   worth of kept records; each range is a task on the pool that reads its rows from every upstream
   shard (only the row groups holding them), splits them into kept and rejected by the decisions,
   validates the kept ones with the table's suite and writes them as one shard of the new versions,
   as a per-record stage's shards are (shard_stage.py). The output is in record-id order across
   its shards, as a table written whole is, whatever order the upstream shards were in.

So no process holds the table's text: memory is set by the shard and the slim rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.located import located
from curation_assets.core.records import as_records, as_rejections, empty_records, empty_rejections
from curation_assets.core.stage_result import StageResult
from curation_assets.engine.pool import map_tasks
from curation_assets.engine.progress import tracked
from curation_assets.engine.shard_stage import ShardStage, read_group
from curation_assets.storage.shards import ShardSize, ShardStore

DECISION_COLUMNS = ["record_id", "reason", "detail"]


def read_columns(store: ShardStore, groups: list[tuple[str, ...]], columns: list[str]) -> pd.DataFrame:
    """``columns`` of every shard, located: the slim rows of a decision that needs no text."""
    parts = [located(read_group(store, files, columns), index) for index, files in enumerate(groups)]
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class MapTask:
    index: int
    files: tuple[str, ...]
    shards_uri: str
    config: PipelineConfig


def map_shards(function: Callable[[pd.DataFrame, int, PipelineConfig], Any], groups: list[tuple[str, ...]],
               config: PipelineConfig, shards_uri: str, workers: int, label: str | None = None) -> Iterator[Any]:
    """``function(shard, index, config)`` over every shard on the pool, results in shard order as
    they come (the caller reduces each before the next arrives), counted on a progress bar when
    ``label`` is given. ``function`` must be module-level (spawned workers import it)."""
    tasks = [MapTask(index, files, shards_uri, config) for index, files in enumerate(groups)]
    results = map_tasks(_MappedFunction(function), tasks, workers)
    return results if label is None else tracked(results, label, len(tasks), "shards")


@dataclass(frozen=True)
class _MappedFunction:
    function: Callable[[pd.DataFrame, int, PipelineConfig], Any]

    def __call__(self, task: MapTask) -> Any:
        store = ShardStore(task.shards_uri, ShardSize())
        return self.function(read_group(store, task.files), task.index, task.config)


class ShardTexts:
    """Columns of records read back by location, one shard read per shard asked for."""

    def __init__(self, groups: list[tuple[str, ...]], shards_uri: str) -> None:
        self._groups = groups
        self._store = ShardStore(shards_uri, ShardSize())

    def columns(self, locations: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
        """``fields`` of the records at ``locations`` (``shard``, ``shard_row``), in their order: only the
        row groups holding them are read."""
        fields = list(fields)
        result = pd.DataFrame({field: pd.Series([None] * len(locations), dtype=object) for field in fields})
        shards = locations["shard"].to_numpy()
        rows = locations["shard_row"].to_numpy()
        for shard in np.unique(shards):
            at = np.flatnonzero(shards == shard)
            wanted, inverse = np.unique(rows[at], return_inverse=True)
            frame = read_group_rows(self._store, self._groups[int(shard)], wanted, fields)
            for field in fields:
                result.iloc[at, result.columns.get_loc(field)] = frame[field].to_numpy(dtype=object)[inverse]
        return result


def apply_decisions(shard: pd.DataFrame, stage: str, decisions: pd.DataFrame) -> StageResult:
    """``shard`` split by ``decisions`` (``DECISION_COLUMNS`` of its rejected records)."""
    rejected = shard["record_id"].isin(decisions["record_id"]).to_numpy()
    if not rejected.any():  # also when no record was rejected at all (its decisions may have no dtype)
        return StageResult(as_records(shard), empty_rejections(stage))
    dropped = shard[rejected].drop(columns=["reason", "detail"], errors="ignore").merge(
        decisions.loc[:, DECISION_COLUMNS].astype({"record_id": shard["record_id"].dtype}), on="record_id",
        how="left", validate="one_to_one")
    return StageResult(as_records(shard[~rejected]), as_rejections(dropped, stage))


@dataclass(frozen=True)
class RangePayload:
    """What one apply task writes: a range of record ids, as the rows it covers in each upstream
    shard (that shard's files, and the rows' positions in them, ascending), and the decisions for the
    rejected records among them."""

    stage: str
    decisions: pd.DataFrame
    slices: tuple[tuple[tuple[str, ...], np.ndarray], ...]


def read_group_rows(store: ShardStore, files: Sequence[str], rows: np.ndarray,
                    columns: list[str] | None = None) -> pd.DataFrame:
    """The rows at positions ``rows`` (ascending) of one upstream shard (``columns`` of them): its
    ``files`` read as one."""
    parts, start = [], 0
    for path in files:
        count = store.rows_in(path)
        wanted = rows[(rows >= start) & (rows < start + count)] - start
        if len(wanted):
            parts.append(store.read_rows(path, wanted, columns))
        start += count
    if parts:
        return pd.concat(parts, ignore_index=True)
    return empty_records() if columns is None else empty_records().loc[:, columns]


def _read_range(store: ShardStore, task) -> pd.DataFrame:
    payload: RangePayload = task.payload
    parts = [read_group_rows(store, files, rows) for files, rows in payload.slices]
    return as_records(pd.concat(parts, ignore_index=True)) if parts else empty_records()


def _apply(shard: pd.DataFrame, plan: None, payload: RangePayload) -> tuple[StageResult, None]:
    return apply_decisions(shard, payload.stage, payload.decisions), None


APPLY_DECISIONS = ShardStage(run=_apply, read=_read_range)


def range_payloads(locations: pd.DataFrame, rejected: pd.DataFrame, groups: list[tuple[str, ...]], stage: str,
                   kept_per_shard: int) -> list[RangePayload]:
    """The shuffle: every record read (``locations``: its id, shard and row) goes to the task of its
    range of record ids, ranges cut so that each holds ``kept_per_shard`` kept records (the last fewer)
    and rejected records ride with the kept ones before them. So the stage's output is in record-id
    order across its shards, as a table written whole is, whatever order its upstream shards were in."""
    ids = locations["record_id"].to_numpy(dtype=object)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    shards = locations["shard"].to_numpy()[order]
    rows = locations["shard_row"].to_numpy()[order]
    is_rejected = pd.Index(ids).isin(pd.Index(rejected["record_id"].to_numpy(dtype=object)))
    kept_so_far = np.cumsum(~is_rejected)
    task_of = (np.maximum(kept_so_far, 1) - 1) // kept_per_shard
    tasks = max(1, int(task_of[-1]) + 1) if len(ids) else 1
    bounds = np.searchsorted(task_of, np.arange(tasks + 1))
    decisions = rejected.loc[:, DECISION_COLUMNS].set_index("record_id", drop=False)
    payloads = []
    for task in range(tasks):
        span = slice(bounds[task], bounds[task + 1])
        task_shards, task_rows = shards[span], rows[span]
        slices = tuple((groups[int(shard)], np.sort(task_rows[task_shards == shard]))
                       for shard in np.unique(task_shards))
        task_rejected = ids[span][is_rejected[span]]
        payloads.append(RangePayload(stage, decisions.loc[task_rejected].reset_index(drop=True), slices))
    return payloads


def rows_per_output_shard(store: ShardStore, files: Sequence[str]) -> int:
    """Records per output shard: the configured count, or fewer where ``shard_bytes`` of the upstream
    records' (uncompressed) size would be reached first."""
    rows = total = 0
    for path in files:
        with store.parquet_file(path) as parquet:
            metadata = parquet.metadata
        rows += metadata.num_rows
        total += sum(metadata.row_group(group).total_byte_size for group in range(metadata.num_row_groups))
    per_row = max(1, total // rows) if rows else 1
    return max(1, min(store.size.records, store.size.bytes // per_row))
