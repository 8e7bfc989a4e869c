"""cleaned → decontaminated: training records that overlap a configured benchmark are dropped."""


import dagster as dg

from curation_assets.config import PipelineConfig
from curation_assets.core.decontaminate import decontaminate as decontam
from curation_assets.core.files import file_sha256
from curation_assets.defs.stage_asset import StageRun, stage_asset


def load_benchmarks(config: PipelineConfig) -> tuple[decontam.BenchmarkIndex, dict]:
    """The n-gram index over every configured benchmark, and what was read (for the metadata)."""
    texts, read = [], {}
    for benchmark in config.decontaminate.benchmarks:
        path = config.resolve(benchmark.path)
        benchmark_texts = decontam.read_benchmark(benchmark, path)
        texts.extend(benchmark_texts)
        read[benchmark.name] = {"path": str(path), "fields": benchmark.fields, "texts": len(benchmark_texts),
                                "sha256": file_sha256(path)}
    index = decontam.BenchmarkIndex.build(texts, config.decontaminate.ngram)
    for name, items in index.items_by_benchmark.items():
        read[name]["items"] = items
    return index, read


def definitions(config: PipelineConfig) -> dg.Definitions:
    settings = config.decontaminate
    names = ", ".join(benchmark.name for benchmark in settings.benchmarks) or "none configured"

    def run(records, context, store) -> StageRun:
        index, read = load_benchmarks(config)
        result = decontam.decontaminate(records, index, settings)
        return StageRun(result, metadata={
            "benchmarks": dg.MetadataValue.json(read),
            "ngram": settings.ngram,
            "contaminated_by_benchmark": dg.MetadataValue.json(result.by_benchmark),
            "contaminated_examples": dg.MetadataValue.json(result.examples),
        })

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
        run=run,
    )
    return dg.Definitions(assets=[decontaminated])
