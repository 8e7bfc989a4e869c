"""exports: train/eval tables → training files (JSONL, and Parquet under data/) in the configured format,
a manifest, and a README.md dataset card that makes the folder a Hugging Face dataset.

Each split is written as numbered files of ``export.records_per_file`` records
(``train-00000-of-00003.jsonl``, ...; one file, ``train-00000-of-00001.jsonl``, for a small dataset),
each file by a worker reading only the shard rows it holds; the manifest lists every file with its
records and SHA-256."""

import shutil

import dagster as dg

from curation_assets.config import PipelineConfig
from curation_assets.core.export.dataset_card import dataset_card
from curation_assets.core.export.files import (data_files_glob, listing, parquet_files_glob, parquet_name, plan_files,
                                               remove_stale_files)
from curation_assets.core.export.hf_dataset import HF_DATASET_FOLDER, write_hf_dataset
from curation_assets.core.export.manifest import build_manifest, earlier_split_names, write_manifest
from curation_assets.core.files import write_text_atomically
from curation_assets.defs.resources import WarehouseResource
from curation_assets.hub import push_export
from curation_assets.defs.split import EVAL_KEY, TRAIN_KEY
from curation_assets.engine.export_files import shard_rows, write_export_files
from curation_assets.engine.shard_stage import records_by_source
from curation_assets.storage.sql_files import sql

EXPORTS_KEY = dg.AssetKey("exports")
FILES_CHECK = "files_match_tables"
SPLITS = ("train", "eval")


def definitions(config: PipelineConfig) -> dg.Definitions:
    settings = config.export

    @dg.asset(
        key=EXPORTS_KEY,
        deps=[TRAIN_KEY, EVAL_KEY],
        group_name="splits",
        kinds={"duckdb", "json"},
        description=(f"train-*-of-*.jsonl and eval-*-of-*.jsonl ({settings.records_per_file:,} records a file) "
                     f"in {settings.format} format" + (", their Parquet twins under data/" if settings.parquet else "")
                     + ", manifest.json listing every file with its SHA-256, and a README.md dataset card "
                       "(Hugging Face: load_dataset(folder))."),
        code_version=config.stage_version(settings),
        check_specs=[
            dg.AssetCheckSpec(
                name=FILES_CHECK,
                asset=EXPORTS_KEY,
                blocking=True,
                description="Each exported file has one valid JSON line per record it was planned to hold, "
                            "and the files of a split hold all of its table's records.",
            )
        ],
    )
    def exports(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        output_dir = config.output_dir()
        output_dir.mkdir(parents=True, exist_ok=True)
        names = settings.split_names  # table → exported split name
        exported = [names[split] for split in SPLITS]
        with store.reading("train") as train_files, store.reading("eval") as eval_files:
            tables = {"train": train_files, "eval": eval_files}
            planned = [file for split in SPLITS for file in plan_files(
                names[split], shard_rows(store.shards, tables[split]), settings.records_per_file)]
            written = write_export_files(planned, output_dir, settings, store.shards.root_uri, config.engine.workers)
            # A preference export holds the pairs only: what the manifest, card and check count.
            by_source = {names[split]: records_by_source(store.shards, tables[split], settings.format == "preference")
                         for split in SPLITS}
        # An earlier export under other split names (its manifest says which) leaves no file behind.
        earlier = earlier_split_names(output_dir / "manifest.json")
        removed = remove_stale_files(output_dir, sorted({*SPLITS, *exported, *earlier}),
                                     {file.name for file in written}, keep_parquet=settings.parquet)
        present = sorted({source for counts in by_source.values() for source in counts})
        manifest = build_manifest(
            written,
            data_files={name: data_files_glob(name) for name in exported},
            by_source=by_source,
            licenses={source: config.catalog().license_of(source) for source in present},
            kinds={source: config.catalog().kind_of(source) for source in present},
            export_format=settings.format,
            config_version=config.version(),
            parquet_glob=parquet_files_glob,
            parquet_path=parquet_name,
        )
        write_manifest(manifest, output_dir / "manifest.json")
        hf_rows = None
        if settings.hf_dataset:
            hf_rows = write_hf_dataset(
                {name: [output_dir / parquet_name(file.name) for file in written if file.split == name] for name in exported},
                settings.format, output_dir / HF_DATASET_FOLDER)
        elif (output_dir / HF_DATASET_FOLDER).exists():  # an earlier run's folder would no longer match the files
            shutil.rmtree(output_dir / HF_DATASET_FOLDER)
        mix = store.read_frame(sql("read_mix_report")).to_dict("records") if store.read_frame(
            sql("table_exists"), {"table": "mix_report"})["present"].iloc[0] else []
        card = dataset_card(manifest, config.report.title, list(config.clean.language.allowed), mix,
                            store.read_frame(sql("rejection_funnel"), {"examples": 0}).to_dict("records"))
        write_text_atomically(card, output_dir / "README.md")
        table = listing(written, output_dir, settings.format)
        hub = None
        if settings.hub is not None:
            hub = push_export(output_dir, settings.hub.repo_id, settings.hub.token_env, settings.hub.private).detail
            context.log.info(hub)
        store.replace_table("exports", table)
        problems = {file.name: file.problems for file in written if file.problems}
        for name in exported:
            records, in_table = manifest["splits"][name]["records"], sum(by_source[name].values())
            if records != in_table:
                problems[name] = {"exported": records, "records": in_table}
            if hf_rows is not None and hf_rows[name] != in_table:
                problems[f"{HF_DATASET_FOLDER}/{name}"] = {"rows": hf_rows[name], "records": in_table}
        return dg.MaterializeResult(
            metadata={
                "output_dir": dg.MetadataValue.path(str(output_dir)),
                "train_records": manifest["splits"][names["train"]]["records"],
                "eval_records": manifest["splits"][names["eval"]]["records"],
                "files": len(written),
                "stale_files_removed": dg.MetadataValue.json(removed),
                "format": settings.format,
                **({"hf_dataset": dg.MetadataValue.path(str(output_dir / HF_DATASET_FOLDER))} if hf_rows else {}),
                **({"hub": hub} if hub else {}),
                "manifest": dg.MetadataValue.json(manifest),
                "dagster/row_count": len(table),
            },
            check_results=[dg.AssetCheckResult(
                check_name=FILES_CHECK,
                passed=not problems,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"problems": dg.MetadataValue.json(problems)},
            )],
        )

    return dg.Definitions(assets=[exports])
