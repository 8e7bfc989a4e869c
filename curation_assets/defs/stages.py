"""combined → deduplicated → cleaned: each reads its upstream table, runs a pure stage, publishes."""

import dagster as dg
import pandas as pd

from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.core import clean
from curation_assets.core.combine import combine_sources
from curation_assets.core.reconcile import reconcile_ids
from curation_assets.core.records import empty_rejections
from curation_assets.core.stage_result import StageResult
from curation_assets.defs.dedup import DEDUP_KEY, dedup_asset
from curation_assets.defs.publishing import StageOutput, check_and_publish, record_check_specs
from curation_assets.defs.resources import WarehouseResource
from curation_assets.defs.sources import raw_table

GROUP = "curation"


def _publish_stage(context, warehouse, key: dg.AssetKey, suite, ids_in: pd.Series, result: StageResult,
                   stage: str) -> dg.MaterializeResult:
    output = StageOutput(
        asset_key=key,
        table=key.path[-1],
        records=result.kept,
        suite=suite,
        reconciliation=reconcile_ids(ids_in, result.kept["record_id"], result.rejected["record_id"]),
    )
    return check_and_publish(context, warehouse, output, result.rejected, stage=stage)


def stage_assets(config: PipelineConfig) -> list[dg.AssetsDefinition]:
    raw_keys = [dg.AssetKey(raw_table(source)) for source in config.sources]
    # Verified synthetic batches join the real sources (only when the config has active batches).
    synthetic_tables = ["verified_synthetic"] if config.active_batches() else []

    combined_key = dg.AssetKey("combined")
    combined_suite = record_suite("combined", config, require_text=False)

    @dg.asset(
        key=combined_key,
        deps=raw_keys + [dg.AssetKey(table) for table in synthetic_tables],
        group_name=GROUP,
        kinds={"duckdb"},
        description="Every source's records and the verified synthetic records in one table.",
        code_version=config.stage_version(config.checks),
        check_specs=record_check_specs(combined_key, combined_suite),
    )
    def combined(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        frames = [store.read_records(raw_table(source)) for source in config.sources]
        frames += [store.read_records(table) for table in synthetic_tables]
        records = combine_sources(frames)
        ids_in = pd.concat([frame["record_id"] for frame in frames], ignore_index=True)
        return _publish_stage(context, store, combined_key, combined_suite, ids_in,
                              StageResult(records, empty_rejections("combine")), stage="combine")

    dedup_key = DEDUP_KEY
    deduplicated = dedup_asset(config, upstream=dg.AssetKey("mixed"), group=GROUP)

    clean_key = dg.AssetKey("cleaned")
    clean_suite = record_suite("cleaned", config, require_text=True)

    @dg.asset(
        key=clean_key,
        deps=[dedup_key],
        group_name=GROUP,
        kinds={"duckdb"},
        description="HTML stripped, whitespace and control characters normalized, empty records dropped.",
        code_version=config.stage_version(config.clean, config.checks),
        check_specs=record_check_specs(clean_key, clean_suite),
    )
    def cleaned(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        records = store.read_records("deduplicated")
        result = clean.clean_records(records, config.clean)
        return _publish_stage(context, store, clean_key, clean_suite, records["record_id"], result, stage=clean.STAGE)

    return [combined, deduplicated, cleaned]
