"""train/eval tables → training files (OpenAI chat or Alpaca JSONL) and a manifest."""

import dagster as dg
import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.export.formats import training_lines, write_jsonl_atomically
from curation_assets.core.export.manifest import build_manifest, count_valid_json_lines, write_manifest
from curation_assets.defs.resources import WarehouseResource
from curation_assets.defs.split import EVAL_KEY, TRAIN_KEY

EXPORTS_KEY = dg.AssetKey("exports")
FILES_CHECK = "files_match_tables"


def export_assets(config: PipelineConfig) -> list[dg.AssetsDefinition]:
    @dg.asset(
        key=EXPORTS_KEY,
        deps=[TRAIN_KEY, EVAL_KEY],
        group_name="splits",
        kinds={"duckdb", "json"},
        description=f"train.jsonl and eval.jsonl in {config.export.format} format, plus manifest.json.",
        code_version=config.stage_version(config.export),
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
        output_dir.mkdir(parents=True, exist_ok=True)
        splits = {name: store.read_records(name) for name in ("train", "eval")}
        files = {name: output_dir / f"{name}.jsonl" for name in splits}
        for name, frame in splits.items():
            write_jsonl_atomically(training_lines(frame, config.export.format, config.export.system_prompt), files[name])

        present = sorted({str(source) for frame in splits.values() for source in frame["source"]})
        manifest = build_manifest(
            splits,
            files,
            licenses={source: config.license_of(source) for source in present},
            kinds={source: config.kind_of(source) for source in present},
            export_format=config.export.format,
            config_version=config.version(),
        )
        manifest_path = output_dir / "manifest.json"
        write_manifest(manifest, manifest_path)

        problems = {}
        for name, path in files.items():
            lines, bad = count_valid_json_lines(path)
            if lines != len(splits[name]) or bad:
                problems[name] = {"lines": lines, "records": len(splits[name]), "invalid": bad[:5]}
        check = dg.AssetCheckResult(
            check_name=FILES_CHECK,
            passed=not problems,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"problems": dg.MetadataValue.json(problems)},
        )

        table = pd.DataFrame(
            [
                {"split": name, "path": str(path), "format": config.export.format, "records": len(splits[name]),
                 "sha256": manifest["files"][name]["sha256"]}
                for name, path in files.items()
            ]
        )
        store.replace_table("exports", table)
        return dg.MaterializeResult(
            metadata={
                "output_dir": dg.MetadataValue.path(str(output_dir)),
                "train_records": len(splits["train"]),
                "eval_records": len(splits["eval"]),
                "format": config.export.format,
                "manifest": dg.MetadataValue.json(manifest),
                "dagster/row_count": len(table),
            },
            check_results=[check],
        )

    return [exports]
