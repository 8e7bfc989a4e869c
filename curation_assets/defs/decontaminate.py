"""cleaned → decontaminated: training records that overlap a configured benchmark are dropped (before
dedup, so a duplicate group is judged among records that may be trained on)."""


import dagster as dg

from curation_assets.config import PipelineConfig
from curation_assets.core.decontaminate import decontaminate as decontam
from curation_assets.defs.stage_asset import stage_asset
from curation_assets.engine.shard_stage import ShardStage


def definitions(config: PipelineConfig) -> dg.Definitions:
    settings = config.decontaminate
    names = ", ".join(benchmark.name for benchmark in settings.benchmarks) or "none configured"

    def metadata(findings: list[decontam.DecontaminationResult]) -> dict:
        read = decontam.load_benchmarks(settings, config.resolve)[1]
        by_benchmark, examples = decontam.merged_findings(findings)
        return {
            "benchmarks": dg.MetadataValue.json(read),
            "ngram": settings.ngram,
            "contaminated_by_benchmark": dg.MetadataValue.json(by_benchmark),
            "contaminated_examples": dg.MetadataValue.json(examples),
        }

    decontaminated = stage_asset(
        config,
        key="decontaminated",
        upstream=["cleaned"],
        stage=decontam.STAGE,
        description=(
            f"Records sharing a {settings.ngram}-word n-gram with a benchmark (or, for benchmark texts shorter "
            f"than that, equal to one after normalization) dropped. Benchmarks: {names}."
        ),
        code_version=config.stage_version(settings, config.checks),
        require_text=True,
        shard_stage=ShardStage(prepare=decontam.shard_plan, run=decontam.decontaminate_shard),
        shard_metadata=metadata,
    )
    return dg.Definitions(assets=[decontaminated])
