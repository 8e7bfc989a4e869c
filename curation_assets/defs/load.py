"""One raw asset per configured source: the file, read into canonical records, shard by shard."""

import dagster as dg

from curation_assets.checks.gx_factory import check_result, merge_summaries, validation_summary
from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.core.load.readers import STAGE, load_source_chunks
from curation_assets.core.load.settings import SourceConfig
from curation_assets.core.reconcile import reconcile_counts
from curation_assets.core.records import REJECTION_COLUMNS
from curation_assets.defs.publishing import reconciliation_result, record_check_specs, rejection_metadata, summary_metadata
from curation_assets.defs.resources import WarehouseResource
from curation_assets.storage.shards import RECORD_SCHEMA, REJECTION_SCHEMA

GROUP = "sources"


def raw_table(source: SourceConfig) -> str:
    return f"raw_{source.name}"


def raw_asset(config: PipelineConfig, source: SourceConfig) -> dg.AssetsDefinition:
    key = dg.AssetKey(raw_table(source))
    table = raw_table(source)
    suite = record_suite(table, config, require_text=False)
    path = config.source_path(source)

    @dg.asset(
        key=key,
        group_name=GROUP,
        kinds={"duckdb", source.format},
        description=f"Source '{source.name}' ({source.kind}, license {source.license}) read from {path}.",
        code_version=config.stage_version(source, config.checks),
        check_specs=record_check_specs(key, suite),
        tags={"source_kind": source.kind},
    )
    def _raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        # A JSONL file is read shard_records lines at a time, each chunk validated and written as one
        # shard: the step never holds the whole file.
        store = warehouse.get()
        kept_folder, rejected_folder = store.new_versions(table, STAGE, source=source.name)
        kept_files, rejected_files, validations = [], [], []
        totals = {"in": 0, "kept": 0, "rejected": 0, "blank": 0, "kept_bytes": 0, "rejected_bytes": 0}
        reasons: dict[str, int] = {}
        preview = None
        try:
            chunks = load_source_chunks(source, path, chunk_items=config.warehouse.shard_records)
            for index, loaded in enumerate(chunks):
                records = loaded.records.sort_values("record_id", kind="mergesort")
                rejections = loaded.rejections.loc[:, list(REJECTION_COLUMNS)].sort_values("record_id", kind="mergesort")
                kept_files.append(kept_folder.part(index))
                rejected_files.append(rejected_folder.part(index))
                totals["kept_bytes"] += store.shards.write_part(kept_files[-1], records, RECORD_SCHEMA)
                totals["rejected_bytes"] += store.shards.write_part(rejected_files[-1], rejections, REJECTION_SCHEMA)
                validations.append(validation_summary(records, suite))
                totals["in"] += loaded.records_in
                totals["kept"] += len(records)
                totals["rejected"] += len(rejections)
                totals["blank"] += loaded.blank_lines
                for reason, count in rejections["reason"].value_counts().items():
                    reasons[str(reason)] = reasons.get(str(reason), 0) + int(count)
                preview = records.head(8) if preview is None or preview.empty else preview
                context.log.info(f"{source.name}: {totals['in']:,} records read from {path}")
        except BaseException:
            store.discard(kept_folder, rejected_folder)
            raise
        context.log.info(f"{source.name}: {totals['in']} records in {path}, {totals['kept']} loaded, "
                         f"{totals['rejected']} quarantined")
        kept = kept_folder.finished(kept_files, totals["kept"], totals["kept_bytes"])
        rejected = rejected_folder.finished(rejected_files, totals["rejected"], totals["rejected_bytes"])
        checks = [check_result(key, suite, merge_summaries(validations)),
                  reconciliation_result(key, reconcile_counts(totals["in"], totals["kept"], totals["rejected"]))]
        published = all(check.passed for check in checks)
        if published:
            store.publish_versions(kept, rejected, whole_stage=False, quarantine=table)
        else:
            store.quarantine_versions(table, kept, rejected)
            failed = ", ".join(check.check_name for check in checks if not check.passed)
            context.log.error(f"{table}: check(s) {failed} failed; nothing published. "
                              f"Inspect quarantine.{table} and quarantine.{table}_rejections in {store.path}.")
        return dg.MaterializeResult(
            metadata={
                **summary_metadata(table, store, totals["kept"], preview,
                                   {source.name: totals["kept"]} if totals["kept"] else {}),
                **rejection_metadata(STAGE, reasons, published),
                "shards": len(kept_files),
                "source_file": dg.MetadataValue.path(str(path)),
                "license": source.license,
                "kind": source.kind,
                "blank_lines_skipped": totals["blank"],
            },
            check_results=checks,
        )

    return _raw


def definitions(config: PipelineConfig) -> dg.Definitions:
    return dg.Definitions(assets=[raw_asset(config, source) for source in config.sources])
