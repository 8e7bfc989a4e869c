"""mixed → cleaned: fields repaired, PII redacted, records failing a cleaning rule dropped.

Cleaning runs before dedup (as in FineWeb, Dolma and datatrove's pipelines): a duplicate group is
then judged among records that already passed every rule, with their repaired texts, and the keep
order prefers the member that needed the fewest repairs.
"""

import dagster as dg

from curation_assets.config import PipelineConfig
from curation_assets.core.clean import stage as clean
from curation_assets.defs.stage_asset import stage_asset
from curation_assets.engine.shard_stage import ShardStage


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


def definitions(config: PipelineConfig) -> dg.Definitions:
    def metadata(reports: list[clean.CleanReport]) -> dict:
        return clean_metadata(clean.CleanReport.merged(reports, config.clean.examples_per_rule), config)

    cleaned = stage_asset(
        config,
        key="cleaned",
        upstream=["mixed"],
        stage=clean.STAGE,
        description=(
            "HTML, mojibake, Markdown (configured fields) and whitespace repaired; PII redacted (or the record "
            "dropped, per source); records failing a length, quality, language or safety rule dropped, one reason "
            "per rule."
        ),
        code_version=config.stage_version(config.clean, config.checks, *[
            source.model_copy(update={"path": ""}) for source in config.sources
        ]),
        require_text=True,
        shard_stage=ShardStage(prepare=clean.shard_plans, run=clean.clean_shard),
        shard_metadata=metadata,
    )
    return dg.Definitions(assets=[cleaned])
