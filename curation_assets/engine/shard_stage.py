"""A stage that judges each record on its own, run shard by shard.

Each task reads one upstream shard, runs the pure stage on it, validates each output it names with
that table's Great Expectations suite, and writes every output (kept and rejected records, or a
split's train and eval) as the same-numbered shard of its new version. Only counts, a mergeable
summary and the validation verdicts come back, so no process ever holds the whole table, and shard
i's output depends only on shard i: any number of workers gives the same files.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import pandas as pd
import pyarrow as pa

from curation_assets.checks.gx_factory import GxSuite, validation_summary
from curation_assets.config import PipelineConfig
from curation_assets.core.reconcile import Reconciliation
from curation_assets.core.records import as_records, empty_records
from curation_assets.core.stage_result import StageResult
from curation_assets.engine.pool import map_tasks
from curation_assets.engine.progress import StepProgress
from curation_assets.storage.shards import ShardSize, ShardStore, Version, VersionFolder, file_list_literal

KEPT = "kept"
REJECTED = "rejected"  # the output whose ``reason`` column the step counts

ShardOutputs = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class ShardStage:
    """A per-record stage as module-level functions, so that spawned workers can import them:
    ``run(shard, plan)`` returns the shard's outputs by name (a ``StageResult`` is the outputs
    ``kept`` and ``rejected``) and a summary the step merges; ``prepare(config)``, if the stage has
    one, resolves its plan once per worker (compiled rules, a benchmark index; else the plan is None)."""

    run: Callable[[pd.DataFrame, Any], tuple[StageResult | ShardOutputs, Any]]
    prepare: Callable[[PipelineConfig], Any] | None = None
    # How a task's records are read (default: its upstream files, whole); a decided stage's tasks read
    # a range of record ids from every upstream shard (decided_stage.py).
    read: Callable[[ShardStore, "ShardTask"], pd.DataFrame] | None = None


@dataclass(frozen=True)
class ShardOutput:
    """One table a sharded stage writes: its name in the stage's outputs, the version its shards go
    to, their schema, and the suite each shard is validated with (none for rejections)."""

    name: str
    folder: VersionFolder
    schema: pa.Schema
    suite: GxSuite | None = None


@dataclass(frozen=True)
class ShardTask:
    index: int
    source_files: tuple[str, ...]  # one upstream shard, or several small ones read as one
    outputs: tuple[ShardOutput, ...]
    stage: ShardStage
    config: PipelineConfig
    shards_uri: str
    payload: Any = None  # what this shard's run needs beyond the plan (a decided stage's decisions)


@dataclass
class ShardOutcome:
    index: int
    rows_in: int
    rows: dict[str, int]
    bytes: dict[str, int]
    reasons: Counter
    summary: Any
    validations: dict[str, dict]  # per validated output
    previews: dict[str, pd.DataFrame] = field(default_factory=dict)


_PLANS: dict[tuple, Any] = {}  # per worker process: a stage's plan for one config


def _named(result: StageResult | ShardOutputs) -> ShardOutputs:
    return {KEPT: result.kept, REJECTED: result.rejected} if isinstance(result, StageResult) else result


def run_shard(task: ShardTask) -> ShardOutcome:
    """One shard through the stage: read, judge, validate, write each output's shard."""
    key = (task.stage, task.config.version(), task.config.base_dir)
    if key not in _PLANS:
        _PLANS[key] = None if task.stage.prepare is None else task.stage.prepare(task.config)
    store = ShardStore(task.shards_uri, ShardSize())
    shard = task.stage.read(store, task) if task.stage.read is not None else as_records(read_group(store, task.source_files))
    payload = () if task.payload is None else (task.payload,)
    result, summary = task.stage.run(shard, _PLANS[key], *payload)
    frames = _named(result)
    outcome = ShardOutcome(task.index, len(shard), {}, {}, Counter(), summary, {})
    for output in task.outputs:
        frame = frames[output.name].loc[:, output.schema.names].sort_values("record_id", kind="mergesort")
        outcome.rows[output.name] = len(frame)
        outcome.bytes[output.name] = store.write_part(output.folder.part(task.index), frame, output.schema)
        if output.suite is not None:
            outcome.validations[output.name] = validation_summary(frame, output.suite)
            outcome.previews[output.name] = frame.head(8)
        if output.name == REJECTED:
            outcome.reasons = Counter(frame["reason"].astype(str))
    return outcome


def read_group(store: ShardStore, files: Sequence[str], columns: list[str] | None = None) -> pd.DataFrame:
    """The records of one task's upstream files, as one shard (its rows in file order)."""
    parts = [store.read_part(path, columns=columns) for path in files]
    if not parts:
        return empty_records() if columns is None else empty_records().loc[:, columns]
    return pd.concat(parts, ignore_index=True)


def group_files(files: list[str], rows_of: Callable[[str], int], target_rows: int) -> list[tuple[str, ...]]:
    """Consecutive upstream files grouped into tasks of about ``target_rows`` records: a table made of
    many small partitions (sources, batches, inbox files) becomes a few shards, a big one keeps its own."""
    groups: list[tuple[str, ...]] = []
    current: list[str] = []
    rows = 0
    for file in files:
        current.append(file)
        rows += rows_of(file)
        if rows >= target_rows:
            groups.append(tuple(current))
            current, rows = [], 0
    if current or not groups:
        groups.append(tuple(current))
    return groups


def shard_tasks(groups: list[tuple[str, ...]], outputs: list[ShardOutput], stage: ShardStage, config: PipelineConfig,
                shards_uri: str, payloads: Sequence[Any] | None = None) -> list[ShardTask]:
    payloads = [None] * len(groups) if payloads is None else payloads
    return [ShardTask(index, group, tuple(outputs), stage, config, shards_uri, payload)
            for index, (group, payload) in enumerate(zip(groups, payloads))]


def run_shards(tasks: list[ShardTask], workers: int, progress: Callable[[str], None], label: str,
               total_records: int) -> list[ShardOutcome]:
    """Every task's outcome, in task order; ``progress`` (the step's log) hears of each shard done, and
    a bar labelled ``label`` counts records up to ``total_records`` (engine/progress.py)."""
    outcomes = []
    with StepProgress(label, total_records) as bar:
        for outcome in map_tasks(run_shard, tasks, workers):
            outcomes.append(outcome)
            bar.advance(outcome.rows_in)
            progress(f"shard {len(outcomes)} / {len(tasks)} done ({sum(o.rows_in for o in outcomes):,} records)")
    return outcomes


def finished_versions(outputs: list[ShardOutput], tasks: list[ShardTask],
                      outcomes: list[ShardOutcome]) -> dict[str, Version]:
    """Each output's version: its shards in task order, with the rows and bytes written."""
    return {output.name: output.folder.finished([output.folder.part(task.index) for task in tasks],
                                                sum(o.rows[output.name] for o in outcomes),
                                                sum(o.bytes[output.name] for o in outcomes))
            for output in outputs}


def first_preview(outcomes: list[ShardOutcome], name: str) -> pd.DataFrame:
    """The first shard's preview of output ``name`` that holds records (else an empty one)."""
    previews = [outcome.previews[name] for outcome in outcomes]
    return next((preview for preview in previews if len(preview)), previews[0] if previews else pd.DataFrame())


def merged_reasons(outcomes: list[ShardOutcome]) -> dict[str, int]:
    return dict(sum((outcome.reasons for outcome in outcomes), Counter()))


def reconcile_files(store: ShardStore, entered: list[str], kept: list[str], rejected: list[str],
                    examples: int = 10) -> Reconciliation:
    """In = out + rejected, by record id, over shard files: DuckDB streams them, so the check needs
    no more memory than a shard, whatever the table's size."""
    with store.connect_duckdb() as connection:
        for name, files in (("entered", entered), ("kept", kept), ("rejected", rejected)):
            source = f"read_parquet({file_list_literal(files)})" if files else "(SELECT NULL::VARCHAR AS record_id WHERE false)"
            connection.execute(f"CREATE VIEW {name} AS SELECT record_id FROM {source}")
        connection.execute("CREATE VIEW leaving AS SELECT record_id FROM kept UNION ALL SELECT record_id FROM rejected")

        def ids(query: str) -> list[str]:
            return [row[0] for row in connection.execute(f"{query} ORDER BY 1 LIMIT {examples}").fetchall()]

        counts = [connection.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
                  for name in ("entered", "kept", "rejected")]
        return Reconciliation(
            *counts,
            missing_ids=ids("SELECT record_id FROM entered EXCEPT SELECT record_id FROM leaving"),
            unexpected_ids=ids("SELECT record_id FROM leaving EXCEPT SELECT record_id FROM entered"),
            repeated_ids=ids("SELECT record_id FROM leaving GROUP BY record_id HAVING count(*) > 1"),
        )


def records_by_source(store: ShardStore, files: list[str], pairs_only: bool = False) -> dict[str, int]:
    """Records per source in ``files``; ``pairs_only``: the preference pairs only (a rejected answer)."""
    where = "WHERE rejected_response <> ''" if pairs_only else ""
    with store.connect_duckdb() as connection:
        rows = connection.execute(f"SELECT source, count(*) FROM read_parquet($files) {where} GROUP BY ALL ORDER BY ALL",
                                  {"files": files}).fetchall()
    return {str(source): int(count) for source, count in rows}
