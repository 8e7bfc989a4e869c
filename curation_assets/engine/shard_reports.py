"""The reports' per-shard work: tasks the worker pool runs over a split's shards, and the reads
that go back to the shards for a few records or stream a whole table in record-id order.

A task reads one shard and returns what merges: a split's partial profile, or the ladder's
candidates with records per source. Nothing here holds more than one shard's records, except
``sorted_batches``, which streams shards already in record-id order (the usual case) and leaves
any other sort to DuckDB under a memory limit (it spills to disk).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from typing import Iterator, Sequence

import pandas as pd
import pyarrow.compute as pc

from curation_assets.core.records import as_records, empty_records
from curation_assets.core.report.ladders import ladder_candidates
from curation_assets.core.report.settings import ReportConfig
from curation_assets.core.report.split_profile import PartProfile, Position, profile_part
from curation_assets.storage.shards import ShardStore, file_list_literal

SORT_MEMORY_LIMIT = "1GB"


@dataclass(frozen=True)
class ProfileTask:
    part: int
    file: str
    shards_uri: str
    settings: ReportConfig
    sample_rate: float


def profile_shard(task: ProfileTask) -> PartProfile:
    frame = as_records(ShardStore(task.shards_uri).read_part(task.file))
    return profile_part(frame, task.part, task.settings, task.sample_rate)


@dataclass(frozen=True)
class CandidateTask:
    file: str
    shards_uri: str
    seed: int
    limit: int


def shard_ladder_candidates(task: CandidateTask) -> tuple[pd.DataFrame, Counter]:
    """The shard's ladder candidates (whole records) and its records per source."""
    frame = as_records(ShardStore(task.shards_uri).read_part(task.file))
    return ladder_candidates(frame, task.seed, task.limit), Counter(frame["source"].value_counts().to_dict())


def read_positions(store: ShardStore, files: Sequence[str], positions: Sequence[Position]) -> pd.DataFrame:
    """The records at ``(part, row)`` positions of ``files``, in the order asked; one shard at a time."""
    if not positions:
        return empty_records()
    picked = {}
    for part in sorted({part for part, _ in positions}):
        shard = store.read_part(files[part])
        for row in {row for at, row in positions if at == part}:
            picked[(part, row)] = shard.iloc[row]
    return as_records(pd.DataFrame([picked[position] for position in positions]).reset_index(drop=True))


def sorted_batches(store: ShardStore, files: Sequence[str], batch_rows: int = 50_000) -> Iterator[pd.DataFrame]:
    """Every record of the shards ``files`` in record-id order, ``batch_rows`` at a time.

    Stage outputs are usually in record-id order already (each shard sorted, a decided stage's
    shards in ranges of ids, per-shard stages keeping them): then the shards stream as they are,
    one at a time. Otherwise DuckDB sorts, in an in-memory database of its own (the warehouse lock
    stays free while the caller writes; the caller holds the files' reader lease) under a memory
    limit, spilling to disk."""
    if ids_in_order(store, files):
        for file in files:
            with store.parquet_file(file) as parquet:
                for batch in parquet.iter_batches(batch_size=batch_rows):
                    yield as_records(batch.to_pandas())
        return
    with tempfile.TemporaryDirectory(prefix="curation-sort-") as spill, store.connect_duckdb() as connection:
        connection.execute(f"SET memory_limit = '{SORT_MEMORY_LIMIT}'")
        connection.execute(f"SET temp_directory = '{spill}'")
        connection.execute("SET preserve_insertion_order = false")
        result = connection.execute(f"SELECT * FROM read_parquet({file_list_literal(list(files))}) ORDER BY record_id")
        while True:
            batch = result.fetch_df_chunk(max(1, batch_rows // 2048))
            if batch.empty:
                return
            yield as_records(batch)


def ids_in_order(store: ShardStore, files: Sequence[str]) -> bool:
    """Whether the records of ``files``, read in turn, are in strictly increasing record-id order:
    checked on the ids themselves (one column), since row-group statistics may be truncated."""
    previous = None
    for file in files:
        ids = store.read_part_table(file, columns=["record_id"]).column("record_id")
        if len(ids) == 0:
            continue
        if len(ids) > 1 and not pc.all(pc.less(ids[:-1], ids[1:])).as_py():
            return False
        if previous is not None and not ids[0].as_py() > previous:
            return False
        previous = ids[-1].as_py()
    return True
