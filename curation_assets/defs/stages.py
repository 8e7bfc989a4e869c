"""combined → deduplicated → cleaned: each reads its upstream table, runs a pure stage, publishes."""

import dagster as dg
import pandas as pd

from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.core.clean import stage as clean
from curation_assets.core.combine import combine_sources
from curation_assets.core.reconcile import reconcile_ids
from curation_assets.core.records import empty_rejections
from curation_assets.core.stage_result import StageResult
from curation_assets.defs.dedup import DEDUP_KEY, dedup_asset
from curation_assets.defs.inbox import INBOX_TABLE
from curation_assets.defs.publishing import StageOutput, check_and_publish, record_check_specs
from curation_assets.defs.resources import WarehouseResource
from curation_assets.defs.load import raw_table

GROUP = "curation"


def clean_metadata(report: clean.CleanReport, config: PipelineConfig) -> dict:
    summary = report.as_metadata()
    quality = config.clean.quality
    switched_off = [name for name in type(quality).model_fields if not getattr(quality, name).enabled]
    switched_off += [name for name, on in (("pii", config.clean.pii.enabled), ("language", config.clean.language.enabled))
                     if not on]
    return {
        "drops_by_rule": dg.MetadataValue.json(summary["drops_by_rule"]),
        "dropped_examples": dg.MetadataValue.json(summary["dropped_examples"]),
        "rewrites": dg.MetadataValue.json(summary["rewrites"]),
        "pii_by_type": dg.MetadataValue.json(summary["pii_by_type"]),
        "pii_records_redacted": summary["pii_records_redacted"],
        "pii_records_dropped": summary["pii_records_dropped"],
        "pii_action_by_source": dg.MetadataValue.json({source.name: source.pii for source in config.sources}),
        "rules_switched_off": dg.MetadataValue.json(sorted(switched_off)),
    }


def _publish_stage(context, warehouse, key: dg.AssetKey, suite, ids_in: pd.Series, result: StageResult,
                   stage: str, extra_metadata: dict | None = None) -> dg.MaterializeResult:
    output = StageOutput(
        asset_key=key,
        table=key.path[-1],
        records=result.kept,
        suite=suite,
        reconciliation=reconcile_ids(ids_in, result.kept["record_id"], result.rejected["record_id"]),
    )
    return check_and_publish(context, warehouse, output, result.rejected, stage=stage, extra_metadata=extra_metadata)


def stage_assets(config: PipelineConfig) -> list[dg.AssetsDefinition]:
    raw_keys = [dg.AssetKey(raw_table(source)) for source in config.sources]
    # Every file ever dropped into the inbox (nothing until the first one arrives).
    inbox_tables = [INBOX_TABLE] if config.inbox is not None else []
    # Verified synthetic batches join the real sources (only when the config has active batches).
    synthetic_tables = ["verified_synthetic"] if config.active_batches() else []

    combined_key = dg.AssetKey("combined")
    combined_suite = record_suite("combined", config, require_text=False)

    @dg.asset(
        key=combined_key,
        deps=raw_keys + [dg.AssetKey(table) for table in inbox_tables + synthetic_tables],
        group_name=GROUP,
        kinds={"duckdb"},
        description="Every source's records, the inbox files' records and the verified synthetic records in one table.",
        code_version=config.stage_version(config.checks),
        check_specs=record_check_specs(combined_key, combined_suite),
    )
    def combined(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        frames = [store.read_records(raw_table(source)) for source in config.sources]
        frames += [store.read_records(table, missing_ok=True) for table in inbox_tables]
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
        description=(
            "HTML, mojibake, Markdown (configured fields) and whitespace repaired; PII redacted (or the record "
            "dropped, per source); records failing a length, quality, language or safety rule dropped, one reason "
            "per rule."
        ),
        code_version=config.stage_version(config.clean, config.checks, *[
            source.model_copy(update={"path": ""}) for source in config.sources
        ]),
        check_specs=record_check_specs(clean_key, clean_suite),
    )
    def cleaned(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        records = store.read_records("deduplicated")
        # Fails early, naming a bad blocklist file or classifier.
        plan = clean.CleanPlan.from_config(config, extra_sources=sorted(set(records["source"])))
        result = clean.clean_records(
            records, plan, progress=lambda done, total: context.log.info(f"cleaned {done:,} / {total:,} records"))
        return _publish_stage(context, store, clean_key, clean_suite, records["record_id"], result, stage=clean.STAGE,
                              extra_metadata=clean_metadata(result.report, config))

    return [combined, deduplicated, cleaned]
