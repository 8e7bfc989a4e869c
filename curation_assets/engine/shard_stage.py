"""A stage that judges each record on its own, run shard by shard.

Each task reads one upstream shard, runs the pure stage on it, validates what it kept with the
table's Great Expectations suite, and writes its kept and rejected records as the same-numbered
shards of the new versions. Only counts, a mergeable summary and the validation verdict come back,
so no process ever holds the whole table, and shard i's output depends only on shard i: any number
of workers gives the same files.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import duckdb
import pandas as pd

from curation_assets.checks.gx_factory import GxSuite, validation_summary
from curation_assets.config import PipelineConfig
from curation_assets.core.reconcile import Reconciliation
from curation_assets.core.records import REJECTION_COLUMNS, as_records, empty_records
from curation_assets.core.stage_result import StageResult
from curation_assets.storage.shards import (RECORD_SCHEMA, REJECTION_SCHEMA, ShardSize, ShardStore, Version, VersionFolder,
                                            file_list_literal)


@dataclass(frozen=True)
class ShardStage:
    """A per-record stage as two module-level functions, so that spawned workers can import them:
    ``prepare(config)`` resolves the stage's plan once per worker (compiled rules, a benchmark
    index); ``run(shard, plan)`` returns the shard's result and a summary the step merges."""

    prepare: Callable[[PipelineConfig], Any]
    run: Callable[[pd.DataFrame, Any], tuple[StageResult, Any]]


@dataclass(frozen=True)
class ShardTask:
    index: int
    source_files: tuple[str, ...]  # one upstream shard, or several small ones read as one
    kept_file: str
    rejected_file: str
    stage: ShardStage
    config: PipelineConfig
    shards_uri: str
    suite: GxSuite


@dataclass
class ShardOutcome:
    index: int
    rows_in: int
    kept: int
    rejected: int
    kept_bytes: int
    rejected_bytes: int
    reasons: Counter
    summary: Any
    validation: dict
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)


_PLANS: dict[tuple, Any] = {}  # per worker process: a stage's plan for one config


def run_shard(task: ShardTask) -> ShardOutcome:
    """One shard through the stage: read, judge, validate, write its two output shards."""
    key = (task.stage, task.config.version(), task.config.base_dir)
    if key not in _PLANS:
        _PLANS[key] = task.stage.prepare(task.config)
    store = ShardStore(task.shards_uri, ShardSize())
    parts = [store.read_part(path) for path in task.source_files]
    shard = as_records(pd.concat(parts, ignore_index=True)) if parts else empty_records()
    result, summary = task.stage.run(shard, _PLANS[key])
    kept = result.kept.sort_values("record_id", kind="mergesort")
    rejected = result.rejected.loc[:, list(REJECTION_COLUMNS)].sort_values("record_id", kind="mergesort")
    return ShardOutcome(
        index=task.index,
        rows_in=len(shard),
        kept=len(kept),
        rejected=len(rejected),
        kept_bytes=store.write_part(task.kept_file, kept, RECORD_SCHEMA),
        rejected_bytes=store.write_part(task.rejected_file, rejected, REJECTION_SCHEMA),
        reasons=Counter(rejected["reason"].astype(str)),
        summary=summary,
        validation=validation_summary(kept, task.suite),
        preview=kept.head(8),
    )


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


def finished_versions(kept: VersionFolder, rejected: VersionFolder, tasks: list[ShardTask],
                      outcomes: list[ShardOutcome]) -> tuple[Version, Version]:
    return (kept.finished([task.kept_file for task in tasks], sum(o.kept for o in outcomes),
                          sum(o.kept_bytes for o in outcomes)),
            rejected.finished([task.rejected_file for task in tasks], sum(o.rejected for o in outcomes),
                              sum(o.rejected_bytes for o in outcomes)))


def reconcile_files(entered: list[str], kept: list[str], rejected: list[str], examples: int = 10) -> Reconciliation:
    """In = out + rejected, by record id, over shard files: DuckDB streams them, so the check needs
    no more memory than a shard, whatever the table's size."""
    with duckdb.connect() as connection:
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


def records_by_source(files: list[str]) -> dict[str, int]:
    with duckdb.connect() as connection:
        rows = connection.execute("SELECT source, count(*) FROM read_parquet($files) GROUP BY ALL ORDER BY ALL",
                                  {"files": files}).fetchall()
    return {str(source): int(count) for source, count in rows}
