"""The shape every record stage between ``combined`` and ``decontaminated`` shares: read the upstream
table, run the pure stage, check what it kept, publish (or quarantine) in one transaction.

A stage module supplies only what is its own: the pure step, its metadata, its extra checks and the
side tables it writes beside its records.
"""

from dataclasses import dataclass, field
from typing import Callable, Sequence

import dagster as dg
import duckdb
import pandas as pd

from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.core.reconcile import reconcile_ids
from curation_assets.core.stage_result import StageResult
from curation_assets.defs.publishing import StageOutput, check_and_publish, record_check_specs
from curation_assets.defs.resources import WarehouseResource
from curation_assets.storage.warehouse import Warehouse

GROUP = "curation"


@dataclass
class StageRun:
    """What a stage's step hands back to be checked and published."""

    result: StageResult
    metadata: dict = field(default_factory=dict)
    checks: list[dg.AssetCheckResult] = field(default_factory=list)
    # Writes the stage's other tables inside the publishing transaction, so a failed check publishes none.
    side_tables: Callable[[duckdb.DuckDBPyConnection], None] | None = None


StageStep = Callable[[pd.DataFrame, dg.AssetExecutionContext, Warehouse], StageRun]


def stage_asset(
    config: PipelineConfig,
    *,
    key: str,
    upstream: Sequence[str],
    stage: str,
    description: str,
    code_version: str,
    run: StageStep,
    read: Callable[[Warehouse], pd.DataFrame] | None = None,
    require_text: bool = False,
    check_specs: Sequence[dg.AssetCheckSpec] = (),
) -> dg.AssetsDefinition:
    """The asset ``key``: ``read`` (default: the one upstream table) → ``run`` → the record suite,
    the reconciliation (every record read left the stage kept or rejected) and ``run``'s own checks →
    publish. The records ``read`` returns are the ones the reconciliation accounts for."""
    asset_key = dg.AssetKey(key)
    suite = record_suite(key, config, require_text=require_text)
    read = read or (lambda store: store.read_records(upstream[0]))

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
        store = warehouse.get()
        records = read(store)
        outcome = run(records, context, store)
        kept, rejected = outcome.result.kept, outcome.result.rejected
        output = StageOutput(asset_key, key, kept, suite,
                             reconcile_ids(records["record_id"], kept["record_id"], rejected["record_id"]))
        return check_and_publish(context, store, output, rejected, stage=stage, extra_metadata=outcome.metadata,
                                 extra_checks=outcome.checks, also=outcome.side_tables)

    return _stage
