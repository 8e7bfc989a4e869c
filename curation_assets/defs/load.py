"""One raw asset per configured source: the file, read into canonical records, shard by shard
(a JSONL file range by range on the worker pool, engine/load_files.py)."""

import dagster as dg

from collections import Counter

from curation_assets.checks.gx_checks import check_result
from curation_assets.checks.gx_factory import merge_summaries
from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.core.load.readers import (STAGE, FieldsSeen, check_fields_seen, check_source_file,
                                               jsonl_line_ranges, load_source_chunks)
from curation_assets.core.load.settings import SourceConfig
from curation_assets.core.reconcile import reconcile_counts
from curation_assets.defs.publishing import reconciliation_result, record_check_specs, rejection_metadata, summary_metadata
from curation_assets.defs.resources import WarehouseResource
from curation_assets.defs.side_tables import report_side_tables
from curation_assets.engine.load_files import ChunkOutput, RangeTask, load_range, write_chunk
from curation_assets.engine.pool import map_tasks
from curation_assets.engine.progress import StepProgress

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
        # A JSONL file is cut into ranges of shard_records lines, each parsed, validated and written as
        # one shard on the worker pool: no process holds the whole file. Other formats are one chunk.
        store = warehouse.get()
        kept_folder, rejected_folder = store.new_versions(table, STAGE, source=source.name)

        def output(index: int) -> ChunkOutput:
            return ChunkOutput(kept_folder.part(index), rejected_folder.part(index), suite, store.shards.root_uri)

        sample = config.sample_records()
        try:
            if source.format == "jsonl":
                check_source_file(source, path)
                ranges = jsonl_line_ranges(path, config.warehouse.shard_records, max_lines=sample)
                tasks = [RangeTask(source, str(path), line_range, output(index)) for index, line_range in enumerate(ranges)]
                outcomes = []  # a file of one range (under shard_records lines) loads in this process
                with StepProgress(table, total=ranges[-1].end if ranges else 0, unit="B") as progress:
                    for task, outcome in zip(tasks, map_tasks(load_range, tasks, config.engine.workers)):
                        outcomes.append(outcome)
                        progress.advance(task.line_range.end - task.line_range.start)
                        context.log.info(f"{source.name}: {sum(o.records_in for o in outcomes):,} records read from {path}")
                check_fields_seen(source, path, FieldsSeen.merged([o.fields_seen for o in outcomes]),
                                  sum(o.records_in for o in outcomes))
            else:
                outcomes = [write_chunk(loaded, output(index)) for index, loaded in
                            enumerate(load_source_chunks(source, path, chunk_items=config.warehouse.shard_records,
                                                         max_items=sample))]
        except BaseException:
            store.discard(kept_folder, rejected_folder)
            raise
        kept_files = [output(index).kept_path for index in range(len(outcomes))]
        rejected_files = [output(index).rejected_path for index in range(len(outcomes))]
        totals = {name: sum(getattr(o, name) for o in outcomes)
                  for name in ("records_in", "kept", "rejected", "blank_lines", "kept_bytes", "rejected_bytes")}
        totals = {"in": totals["records_in"], "blank": totals["blank_lines"], **totals}
        reasons = dict(sum((o.reasons for o in outcomes), Counter()))
        validations = [o.validation for o in outcomes]
        preview = next((o.preview for o in outcomes if len(o.preview)), outcomes[0].preview if outcomes else None)
        context.log.info(f"{source.name}: {totals['in']} records in {path}, {totals['kept']} loaded, "
                         f"{totals['rejected']} quarantined")
        kept = kept_folder.finished(kept_files, totals["kept"], totals["kept_bytes"])
        rejected = rejected_folder.finished(rejected_files, totals["rejected"], totals["rejected_bytes"])
        checks = [check_result(key, suite, merge_summaries(validations)),
                  reconciliation_result(key, reconcile_counts(totals["in"], totals["kept"], totals["rejected"]))]
        published = all(check.passed for check in checks)
        if published:
            store.publish_versions(kept, rejected, whole_stage=False, quarantine=table)
            report_side_tables(context, store, table)
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
                **({"sampled_first_items": sample} if sample else {}),
            },
            check_results=checks,
        )

    return _raw


def definitions(config: PipelineConfig) -> dg.Definitions:
    return dg.Definitions(assets=[raw_asset(config, source) for source in config.sources])
