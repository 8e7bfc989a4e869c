"""One raw asset per configured source: the file, read into canonical records."""

import dagster as dg

from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.core.load.settings import SourceConfig
from curation_assets.core.reconcile import reconcile_counts
from curation_assets.core.load.readers import STAGE, load_source
from curation_assets.defs.publishing import StageOutput, check_and_publish, record_check_specs
from curation_assets.defs.resources import WarehouseResource

GROUP = "sources"


def raw_table(source: SourceConfig) -> str:
    return f"raw_{source.name}"


def raw_asset(config: PipelineConfig, source: SourceConfig) -> dg.AssetsDefinition:
    key = dg.AssetKey(raw_table(source))
    suite = record_suite(raw_table(source), config, require_text=False)
    path = config.source_path(source)

    @dg.asset(
        key=key,
        group_name=GROUP,
        kinds={"duckdb", source.format},
        description=f"Source '{source.name}' ({source.kind}, license {source.license}) read from {path}.",
        code_version=config.stage_version(source, config.checks),
        check_specs=record_check_specs(key, suite),
        tags={"source_kind": source.kind},
    )
    def _raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        loaded = load_source(source, path)
        context.log.info(
            f"{source.name}: {loaded.records_in} records in {path}, {len(loaded.records)} loaded, "
            f"{len(loaded.rejections)} quarantined"
        )
        output = StageOutput(
            asset_key=key,
            table=raw_table(source),
            records=loaded.records,
            suite=suite,
            reconciliation=reconcile_counts(loaded.records_in, len(loaded.records), len(loaded.rejections)),
        )
        return check_and_publish(
            context,
            warehouse.get(),
            output,
            loaded.rejections,
            stage=STAGE,
            source=source.name,
            extra_metadata={
                "source_file": dg.MetadataValue.path(str(path)),
                "license": source.license,
                "kind": source.kind,
                "blank_lines_skipped": loaded.blank_lines,
            },
        )

    return _raw


def definitions(config: PipelineConfig) -> dg.Definitions:
    return dg.Definitions(assets=[raw_asset(config, source) for source in config.sources])
