"""mixed: combined records under the synthetic caps, with the achieved mix against the target."""


import dagster as dg

from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.core.mix import mix
from curation_assets.core.reconcile import reconcile_ids
from curation_assets.core.report.markdown import markdown_table
from curation_assets.defs.publishing import StageOutput, check_and_publish, record_check_specs
from curation_assets.defs.resources import WarehouseResource
from curation_assets.storage.sql_files import sql

GROUP = "curation"
MIXED_KEY = dg.AssetKey("mixed")


def _report_markdown(report) -> str:
    def target(share) -> str:
        return "-" if share is None or share != share else f"{share:.3f}"

    return markdown_table(["domain", "target", "achieved", "real", "synthetic admitted / available"], [
        [row.domain, target(row.target_share), f"{row.achieved_share:.3f}", row.real_records,
         f"{row.synthetic_admitted} / {row.synthetic_available}"] for row in report.itertuples(index=False)])


def mixing_assets(config: PipelineConfig) -> list[dg.AssetsDefinition]:
    suite = record_suite(MIXED_KEY.path[-1], config, require_text=False)

    @dg.asset(
        key=MIXED_KEY,
        deps=[dg.AssetKey("combined")],
        group_name=GROUP,
        kinds={"duckdb"},
        description=(
            f"Real records, all of them, plus synthetic records up to {config.mix.max_synthetic_fraction:.0%} of "
            "the mix and the per-domain target shares; the rest is rejected (synthetic_cap / domain_cap)."
        ),
        code_version=config.stage_version(config.mix, config.checks),
        check_specs=record_check_specs(MIXED_KEY, suite),
    )
    def mixed(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        records = store.read_records("combined")
        result, report = mix.mix_records(records, config.mix, config.domain_of, config.source_rank)
        synthetic = int((result.kept["kind"] == "synthetic").sum())
        output = StageOutput(MIXED_KEY, MIXED_KEY.path[-1], result.kept, suite,
                             reconcile_ids(records["record_id"], result.kept["record_id"], result.rejected["record_id"]))
        materialized = check_and_publish(context, store, output, result.rejected, stage=mix.STAGE, extra_metadata={
            "synthetic_fraction": round(synthetic / len(result.kept), 4) if len(result.kept) else 0.0,
            "max_synthetic_fraction": config.mix.max_synthetic_fraction,
            "achieved_vs_target": dg.MetadataValue.md(_report_markdown(report)),
        })
        if materialized.metadata.get("published"):
            with store.connect() as connection:
                connection.register("staged_report", report)
                connection.execute(sql("publish_mix_report"))
        return materialized

    return [mixed]
