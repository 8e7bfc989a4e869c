"""exports: train/eval tables → training files (OpenAI chat or Alpaca JSONL) and a manifest."""

import dagster as dg

from curation_assets.config import PipelineConfig
from curation_assets.core.export.files import export_splits
from curation_assets.defs.resources import WarehouseResource
from curation_assets.defs.split import EVAL_KEY, TRAIN_KEY

EXPORTS_KEY = dg.AssetKey("exports")
FILES_CHECK = "files_match_tables"


def definitions(config: PipelineConfig) -> dg.Definitions:
    settings = config.export

    @dg.asset(
        key=EXPORTS_KEY,
        deps=[TRAIN_KEY, EVAL_KEY],
        group_name="splits",
        kinds={"duckdb", "json"},
        description=f"train.jsonl and eval.jsonl in {settings.format} format, plus manifest.json.",
        code_version=config.stage_version(settings),
        check_specs=[
            dg.AssetCheckSpec(
                name=FILES_CHECK,
                asset=EXPORTS_KEY,
                blocking=True,
                description="Each exported file has one valid JSON line per record of its table.",
            )
        ],
    )
    def exports(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        output_dir = config.output_dir()
        splits = {name: store.read_records(name) for name in ("train", "eval")}
        export = export_splits(splits, output_dir, settings, config.catalog(), config.version())
        table = export.listing(settings.format, splits)
        store.replace_table("exports", table)
        return dg.MaterializeResult(
            metadata={
                "output_dir": dg.MetadataValue.path(str(output_dir)),
                "train_records": len(splits["train"]),
                "eval_records": len(splits["eval"]),
                "format": settings.format,
                "manifest": dg.MetadataValue.json(export.manifest),
                "dagster/row_count": len(table),
            },
            check_results=[dg.AssetCheckResult(
                check_name=FILES_CHECK,
                passed=not export.problems,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"problems": dg.MetadataValue.json(export.problems)},
            )],
        )

    return dg.Definitions(assets=[exports])
