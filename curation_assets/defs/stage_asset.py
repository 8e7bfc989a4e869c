"""The shape every record stage between ``combined`` and ``deduplicated`` shares: read the upstream
shards, run the pure stage, check what it kept, publish (or quarantine) in one transaction.

No step holds a whole table: a stage that judges each record on its own (combining, cleaning,
decontamination) runs shard by shard (``engine/shard_stage.py``); a stage whose decisions are
global (mix caps, duplicates) decides over slim rows and splits the records range by range
(``engine/decided_stage.py``). Workers write and validate the output shards; the step merges
verdicts and counts, so memory is set by the shard size, not the table's.

A stage module supplies only what is its own: the pure step, its metadata, its extra checks and the
side tables it writes beside its records.
"""

import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import dagster as dg
import duckdb
import pandas as pd

from curation_assets.checks.gx_checks import check_result
from curation_assets.checks.gx_factory import GxSuite, merge_summaries
from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.defs.publishing import (publish_or_quarantine_versions, reconciliation_result, record_check_specs,
                                             rejection_metadata, summary_metadata)
from curation_assets.defs.resources import WarehouseResource
from curation_assets.engine.decided_stage import (APPLY_DECISIONS, ShardTexts, range_payloads, read_columns,
                                                  rows_per_output_shard)
from curation_assets.engine.phases import PhaseClock
from curation_assets.engine.pool import kept_pools, workers_for
from curation_assets.engine.shard_stage import (KEPT, REJECTED, ShardOutput, ShardStage, ShardTask, finished_versions,
                                                first_preview, group_files, merged_reasons, reconcile_files,
                                                records_by_source, run_shards, shard_tasks)
from curation_assets.storage.shards import RECORD_SCHEMA, REJECTION_SCHEMA, Version
from curation_assets.storage.warehouse import Warehouse

GROUP = "curation"


@dataclass
class DecisionInput:
    """What a decided stage's ``decide`` reads: the upstream shards (each task's files), where they
    live, the warehouse (for side tables such as earlier runs' history) and the workers to use."""

    context: dg.AssetExecutionContext
    warehouse: Warehouse
    groups: list[tuple[str, ...]]
    shards_uri: str
    workers: int
    clock: PhaseClock  # ``clock.lap(phase)`` times the decision's own phases
    scratch: Path  # a local folder for the step's intermediate files, removed when the step ends
    shared_scratch: str  # the same in the record store (a URI), for files the workers write or read

    def read_columns(self, columns: list[str]) -> pd.DataFrame:
        return read_columns(self.warehouse.shards, self.groups, columns)

    def texts(self) -> ShardTexts:
        return ShardTexts(self.groups, self.shards_uri)


@dataclass
class Decision:
    """A decided stage's verdict over the whole table: where every record read is (``record_id`` and
    ``LOCATION_COLUMNS``), the rejected ones (``DECISION_COLUMNS``), metadata, extra checks, and the
    side tables to write when it is published (``side_tables(connection, kept)``, ``kept`` the new
    version of the stage's records)."""

    locations: pd.DataFrame
    rejected: pd.DataFrame
    metadata: dict = field(default_factory=dict)
    checks: list[dg.AssetCheckResult] = field(default_factory=list)
    side_tables: Callable[[duckdb.DuckDBPyConnection, Version], None] | None = None


DecideStep = Callable[[DecisionInput], Decision]


def stage_asset(
    config: PipelineConfig,
    *,
    key: str,
    upstream: Sequence[str],
    stage: str,
    description: str,
    code_version: str,
    shard_stage: ShardStage | None = None,
    decide: DecideStep | None = None,
    shard_metadata: Callable[[list], dict] = lambda summaries: {},
    require_text: bool = False,
    check_specs: Sequence[dg.AssetCheckSpec] = (),
) -> dg.AssetsDefinition:
    """The asset ``key``: its upstream tables' shards → the stage → the record suite on every output
    shard, the reconciliation (every record read left the stage kept or rejected, by id) and the
    stage's own checks → publish, or quarantine when a check failed. Exactly one of:

    - ``shard_stage``: a stage that judges each record on its own runs shard by shard on the worker
      pool (``engine/shard_stage.py``); ``shard_metadata`` turns the shards' summaries into metadata;
    - ``decide``: a stage whose decisions are global runs as map, decide, apply
      (``engine/decided_stage.py``): ``decide`` reads what it needs of the shards and returns the
      rejections; the records are then split by them, range by range, on the worker pool."""
    if (shard_stage is None) == (decide is None):
        raise ValueError(f"stage {key}: give exactly one of shard_stage and decide")
    asset_key = dg.AssetKey(key)
    suite = record_suite(key, config, require_text=require_text)

    @dg.asset(
        key=asset_key,
        deps=[dg.AssetKey(name) for name in upstream],
        group_name=GROUP,
        kinds={"duckdb"},
        description=description,
        code_version=code_version,
        check_specs=[*record_check_specs(asset_key, suite), *check_specs],
    )
    def _stage(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        return _run_stage(context, config, warehouse.get(), asset_key, upstream, stage, suite, shard_stage,
                          shard_metadata, decide)

    return _stage


def _run_stage(context: dg.AssetExecutionContext, config: PipelineConfig, store: Warehouse, asset_key: dg.AssetKey,
               upstream: Sequence[str], stage: str, suite: GxSuite, shard_stage: ShardStage | None,
               shard_metadata: Callable[[list], dict], decide: DecideStep | None) -> dg.MaterializeResult:
    """Read the upstream shards (holding their reader leases), decide if the stage decides globally,
    run the shard tasks (judge each shard, or apply the decision range by range), reconcile, then
    publish or quarantine; the scratch folder lives until the side tables are written."""
    table = asset_key.path[-1]
    clock = PhaseClock(lambda message: context.log.info(f"{table}: {message}"))
    decision = None
    with tempfile.TemporaryDirectory(prefix=f"curation-{table}-") as scratch, kept_pools(), ExitStack() as scope:
        with ExitStack() as leases:
            files = [file for name in upstream for file in leases.enter_context(store.reading(name))]
            rows = {file: store.shards.rows_in(file) for file in files}
            groups = group_files(files, rows.__getitem__, config.warehouse.shard_records)
            workers = workers_for(config.engine.workers, sum(rows.values()), config.engine.parallel_min_records)
            if decide is not None:
                shared_scratch = scope.enter_context(store.shards.scratch_folder(table))
                decision = decide(DecisionInput(context, store, groups, store.shards.root_uri, workers, clock,
                                                Path(scratch), shared_scratch))
                clock.lap("decide")
            kept_folder, rejected_folder = store.new_versions(table, stage)
            outputs = [ShardOutput(KEPT, kept_folder, RECORD_SCHEMA, suite),
                       ShardOutput(REJECTED, rejected_folder, REJECTION_SCHEMA)]
            if decision is None:
                tasks = shard_tasks(groups, outputs, shard_stage, config, store.shards.root_uri)
            else:
                payloads = range_payloads(decision.locations, decision.rejected, groups, stage,
                                          rows_per_output_shard(store.shards, files))
                tasks = [ShardTask(index, (), tuple(outputs), APPLY_DECISIONS, config, store.shards.root_uri, payload)
                         for index, payload in enumerate(payloads)]
            outcomes = run_shards(tasks, workers, lambda message: context.log.info(f"{table}: {message}"), table,
                                  sum(rows.values()))
            clock.lap("judge" if decision is None else "apply")
            versions = finished_versions(outputs, tasks, outcomes)
            kept, rejected = versions[KEPT], versions[REJECTED]
            reconciliation = reconcile_files(store.shards, files, list(kept.files), list(rejected.files))
        checks = [check_result(asset_key, suite, merge_summaries([outcome.validations[KEPT] for outcome in outcomes])),
                  reconciliation_result(asset_key, reconciliation), *(decision.checks if decision else [])]
        clock.lap("reconcile")
        also = None
        if decision is not None and decision.side_tables is not None:
            also = lambda connection: decision.side_tables(connection, kept)  # noqa: E731
        published = publish_or_quarantine_versions(context, store, kept, rejected, checks, also=also)
        clock.lap("publish")
    metadata = {
        **summary_metadata(table, store, kept.rows, first_preview(outcomes, KEPT), records_by_source(store.shards, list(kept.files))),
        **rejection_metadata(stage, merged_reasons(outcomes), published),
        "shards": len(tasks),
        **(shard_metadata([outcome.summary for outcome in outcomes]) if decision is None else decision.metadata),
        "seconds_by_phase": dg.MetadataValue.json(clock.seconds),
        **({"peak_rss_mib_by_phase": dg.MetadataValue.json(clock.peak_rss_mib)} if clock.peak_rss_mib else {}),
    }
    return dg.MaterializeResult(asset_key=asset_key, metadata=metadata, check_results=checks)
