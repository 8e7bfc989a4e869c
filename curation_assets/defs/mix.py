"""mixed: combined records under the synthetic caps, with the achieved mix against the target."""


import dagster as dg

from curation_assets.config import PipelineConfig
from curation_assets.core.mix import mix
from curation_assets.defs.publishing import metadata_table
from curation_assets.defs.stage_asset import Decision, DecisionInput, stage_asset
from curation_assets.engine.record_domains import classify_records
from curation_assets.storage.sql_files import sql


def _report_table(report) -> dg.MetadataValue:
    return metadata_table(["domain", "target share", "achieved share", "real", "synthetic admitted", "synthetic available"], [
        [row.domain, row.target_share, round(float(row.achieved_share), 4), int(row.real_records),
         int(row.synthetic_admitted), int(row.synthetic_available)] for row in report.itertuples(index=False)])


def _write_report(report, record_domains=None):
    def write(connection, kept=None) -> None:
        connection.register("staged_report", report)
        connection.execute(sql("publish_mix_report"))
        if record_domains is not None:  # each record's domain, how it was decided (mix.record_domains)
            connection.register("staged", record_domains)
            connection.execute(sql("publish_frame", table="record_domains"))

    return write


def _domain_metadata(record_domains, model) -> dict:
    changed = record_domains[record_domains["domain"] != record_domains["source_domain"]]
    moves = changed.groupby(["source", "source_domain", "domain"]).size().reset_index(name="records")
    return {
        "domain_classifier": dg.MetadataValue.json({
            "embedder": model.embedder.fingerprint, "trained_on": list(model.trained_on),
            "held_out_accuracy": model.held_out.get("accuracy"), "held_out_records": model.held_out.get("records"),
            "per_domain": model.held_out.get("per_domain", {})}),
        "records_given_another_domain": metadata_table(
            ["source", "source domain", "record domain", "records"],
            [[row.source, row.source_domain, row.domain, int(row.records)] for row in moves.itertuples(index=False)]),
    }


def definitions(config: PipelineConfig) -> dg.Definitions:
    catalog = config.catalog()

    def decide(shards: DecisionInput) -> Decision:
        records = shards.read_columns(mix.MIX_COLUMNS)
        domains, domain_metadata, record_domains = None, {}, None
        if config.mix.record_domains is not None:
            record_domains, model = classify_records(shards.groups, config, shards.shards_uri, shards.shared_scratch,
                                                     shards.workers)
            domains = records["record_id"].map(record_domains.set_index("record_id")["domain"])
            domain_metadata = _domain_metadata(record_domains, model)
        dropped, report = mix.mix_decisions(records, config.mix, catalog.domain_of, catalog.source_rank, domains)
        kept = len(records) - len(dropped)
        synthetic = int((records["kind"] == "synthetic").sum()) - len(dropped)
        return Decision(records.loc[:, ["record_id", "shard", "shard_row"]], dropped, metadata={
            "synthetic_fraction": round(synthetic / kept, 4) if kept else 0.0,
            "max_synthetic_fraction": config.mix.max_synthetic_fraction,
            "achieved_vs_target": _report_table(report),
            **domain_metadata,
        }, side_tables=_write_report(report, record_domains))

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
