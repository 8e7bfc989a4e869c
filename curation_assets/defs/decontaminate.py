"""cleaned → decontaminated: training records that overlap a configured benchmark are dropped."""


import dagster as dg

from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.core.decontaminate import decontaminate as decontam
from curation_assets.core.files import file_sha256
from curation_assets.core.reconcile import reconcile_ids
from curation_assets.defs.publishing import StageOutput, check_and_publish, record_check_specs
from curation_assets.defs.resources import WarehouseResource

DECONTAMINATED_KEY = dg.AssetKey("decontaminated")


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


def decontaminate_assets(config: PipelineConfig) -> list[dg.AssetsDefinition]:
    settings = config.decontaminate
    suite = record_suite("decontaminated", config, require_text=True)
    names = ", ".join(benchmark.name for benchmark in settings.benchmarks) or "none configured"

    @dg.asset(
        key=DECONTAMINATED_KEY,
        deps=[dg.AssetKey("cleaned")],
        group_name="curation",
        kinds={"duckdb"},
        description=(
            f"Records sharing a {settings.ngram}-word n-gram with a benchmark (or, for benchmark texts shorter "
            f"than that, equal to one after normalization) dropped. Benchmarks: {names}."
        ),
        code_version=config.stage_version(settings, config.checks),
        check_specs=record_check_specs(DECONTAMINATED_KEY, suite),
    )
    def decontaminated(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        index, read = load_benchmarks(config)  # before any warehouse work: a bad benchmark fails fast
        store = warehouse.get()
        records = store.read_records("cleaned")
        result = decontam.decontaminate(records, index, settings)
        output = StageOutput(
            asset_key=DECONTAMINATED_KEY,
            table="decontaminated",
            records=result.kept,
            suite=suite,
            reconciliation=reconcile_ids(records["record_id"], result.kept["record_id"], result.rejected["record_id"]),
        )
        metadata = {
            "benchmarks": dg.MetadataValue.json(read),
            "ngram": settings.ngram,
            "contaminated_by_benchmark": dg.MetadataValue.json(result.by_benchmark),
            "contaminated_examples": dg.MetadataValue.json(result.examples),
        }
        return check_and_publish(context, store, output, result.rejected, stage=decontam.STAGE, extra_metadata=metadata)

    return [decontaminated]
