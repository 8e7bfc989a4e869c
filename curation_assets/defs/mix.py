"""mixed: combined records under the synthetic caps, with the achieved mix against the target."""


import dagster as dg

from curation_assets.config import PipelineConfig
from curation_assets.core.mix import mix
from curation_assets.defs.publishing import metadata_table
from curation_assets.defs.stage_asset import Decision, DecisionInput, stage_asset
from curation_assets.storage.sql_files import sql


def _report_table(report) -> dg.MetadataValue:
    return metadata_table(["domain", "target share", "achieved share", "real", "synthetic admitted", "synthetic available"], [
        [row.domain, row.target_share, round(float(row.achieved_share), 4), int(row.real_records),
         int(row.synthetic_admitted), int(row.synthetic_available)] for row in report.itertuples(index=False)])


def _write_report(report):
    def write(connection, kept=None) -> None:
        connection.register("staged_report", report)
        connection.execute(sql("publish_mix_report"))

    return write


def definitions(config: PipelineConfig) -> dg.Definitions:
    catalog = config.catalog()

    def decide(shards: DecisionInput) -> Decision:
        records = shards.read_columns(mix.MIX_COLUMNS)
        dropped, report = mix.mix_decisions(records, config.mix, catalog.domain_of, catalog.source_rank)
        kept = len(records) - len(dropped)
        synthetic = int((records["kind"] == "synthetic").sum()) - len(dropped)
        return Decision(records.loc[:, ["record_id", "shard", "shard_row"]], dropped, metadata={
            "synthetic_fraction": round(synthetic / kept, 4) if kept else 0.0,
            "max_synthetic_fraction": config.mix.max_synthetic_fraction,
            "achieved_vs_target": _report_table(report),
        }, side_tables=_write_report(report))

    mixed = stage_asset(
        config,
        key="mixed",
        upstream=["combined"],
        stage=mix.STAGE,
        description=(
            f"Real records, all of them, plus synthetic records up to {config.mix.max_synthetic_fraction:.0%} of "
            "the mix and the per-domain target shares; the rest is rejected (synthetic_cap / domain_cap)."
        ),
        code_version=config.stage_version(config.mix, config.checks),
        decide=decide,
    )
    return dg.Definitions(assets=[mixed])
