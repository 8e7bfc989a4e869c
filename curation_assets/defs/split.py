"""deduplicated → train and eval tables, split by the hash of the normalized instruction.

The assignment is per record, so the split runs shard by shard on the worker pool: each worker reads
one deduplicated shard and writes the same-numbered shards of train and eval, validated; the step
merges the verdicts, reconciles by id and checks for leakage over the files, then publishes both
tables in one transaction (or quarantines both)."""

import dagster as dg

from curation_assets.checks.gx_checks import check_result, gx_check_spec
from curation_assets.checks.gx_factory import merge_summaries
from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.core.split.leakage import instructions_in_both_files
from curation_assets.core.split.split import STAGE, shard_plan, split_shard
from curation_assets.defs.publishing import (publish_or_quarantine_versions, reconciliation_result, record_check_specs,
                                             rejection_metadata, summary_metadata)
from curation_assets.defs.resources import WarehouseResource
from curation_assets.engine.pool import workers_for
from curation_assets.engine.shard_stage import (REJECTED, ShardOutput, ShardStage, finished_versions, first_preview,
                                                reconcile_files, records_by_source, run_shards, shard_tasks)
from curation_assets.storage.shards import RECORD_SCHEMA, REJECTION_SCHEMA

GROUP = "splits"
LEAKAGE_CHECK = "no_instruction_in_both_splits"
UPSTREAM = "deduplicated"
TRAIN_KEY = dg.AssetKey("train")
EVAL_KEY = dg.AssetKey("eval")
SPLIT_STAGE = ShardStage(prepare=shard_plan, run=split_shard)


def leakage_result(shared: int, examples: list[str]) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=EVAL_KEY,
        check_name=LEAKAGE_CHECK,
        passed=not shared,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"shared_instructions": shared, "examples": dg.MetadataValue.json(examples)},
    )


def definitions(config: PipelineConfig) -> dg.Definitions:
    suites = {
        "train": record_suite("train", config, require_text=True),
        "eval": record_suite("eval", config, require_text=True),
    }
    description = (
        f"Records split by the hash of their normalized instruction (eval fraction "
        f"{config.split.eval_fraction}, seed {config.split.seed}): no instruction is in both splits."
    )

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(TRAIN_KEY, deps=[UPSTREAM], group_name=GROUP, kinds={"duckdb"}, description=description),
            dg.AssetSpec(EVAL_KEY, deps=[UPSTREAM], group_name=GROUP, kinds={"duckdb"}, description=description),
        ],
        check_specs=[
            *record_check_specs(TRAIN_KEY, suites["train"]),
            gx_check_spec(EVAL_KEY, suites["eval"]),
            dg.AssetCheckSpec(
                name=LEAKAGE_CHECK,
                asset=EVAL_KEY,
                blocking=True,
                description="No normalized instruction appears in both train and eval.",
            ),
        ],
        name="splits",
        code_version=config.stage_version(config.split, config.checks),
    )
    def splits(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        store = warehouse.get()
        with store.reading(UPSTREAM) as files:
            train_folder, rejected_folder = store.new_versions("train", STAGE)
            outputs = [ShardOutput("train", train_folder, RECORD_SCHEMA, suites["train"]),
                       ShardOutput("eval", store.new_table_version("eval"), RECORD_SCHEMA, suites["eval"]),
                       ShardOutput(REJECTED, rejected_folder, REJECTION_SCHEMA)]
            # One task per upstream shard: train's and eval's shard i come from deduplicated's shard i.
            tasks = shard_tasks([(file,) for file in files], outputs, SPLIT_STAGE, config, store.shards.root_uri)
            records = sum(store.shards.rows_in(file) for file in files)
            workers = workers_for(config.engine.workers, records, config.engine.parallel_min_records)
            outcomes = run_shards(tasks, workers, lambda message: context.log.info(f"splits: {message}"), "splits",
                                  records)
            versions = finished_versions(outputs, tasks, outcomes)
            split_files = {name: list(versions[name].files) for name in ("train", "eval")}
            # The split drops nothing: every deduplicated record is in exactly one split.
            reconciliation = reconcile_files(store.shards, files, split_files["train"] + split_files["eval"],
                                             list(versions[REJECTED].files))
        checks = {
            TRAIN_KEY: [check_result(TRAIN_KEY, suites["train"], merge_summaries([o.validations["train"] for o in outcomes])),
                        reconciliation_result(TRAIN_KEY, reconciliation)],
            EVAL_KEY: [check_result(EVAL_KEY, suites["eval"], merge_summaries([o.validations["eval"] for o in outcomes])),
                       leakage_result(*instructions_in_both_files(split_files["train"], split_files["eval"],
                                                                         store.shards.connect_duckdb))],
        }
        # Both splits share one verdict: publishing train without its eval would mislead.
        published = publish_or_quarantine_versions(context, store, versions["train"], versions[REJECTED],
                                                   checks[TRAIN_KEY] + checks[EVAL_KEY], also_versions=[versions["eval"]])
        for key in (TRAIN_KEY, EVAL_KEY):
            table = key.path[-1]
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={**summary_metadata(table, store, versions[table].rows, first_preview(outcomes, table),
                                             records_by_source(store.shards, split_files[table])),
                          **rejection_metadata(STAGE, {}, published),
                          "shards": len(tasks)},
                check_results=checks[key],
            )

    return dg.Definitions(assets=[splits])
