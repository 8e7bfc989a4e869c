"""decontaminated → train and eval tables, split by the hash of the normalized instruction."""

import dagster as dg
import pandas as pd

from curation_assets.checks.gx_factory import evaluate_suite, gx_check_spec
from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.core.reconcile import reconcile_ids
from curation_assets.core.records import empty_rejections
from curation_assets.core.split.split import instructions_in_both, split_records
from curation_assets.defs.publishing import (
    publish_or_quarantine,
    reconciliation_result,
    record_check_specs,
    stage_metadata,
)
from curation_assets.defs.resources import WarehouseResource

GROUP = "splits"
STAGE = "split"
LEAKAGE_CHECK = "no_instruction_in_both_splits"
UPSTREAM = "decontaminated"
TRAIN_KEY = dg.AssetKey("train")
EVAL_KEY = dg.AssetKey("eval")


def leakage_result(train: pd.DataFrame, eval_: pd.DataFrame) -> dg.AssetCheckResult:
    shared = instructions_in_both(train, eval_)
    return dg.AssetCheckResult(
        asset_key=EVAL_KEY,
        check_name=LEAKAGE_CHECK,
        passed=not shared,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"shared_instructions": len(shared), "examples": dg.MetadataValue.json(shared[:5])},
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
        records = store.read_records(UPSTREAM)
        parts = split_records(records, config.split.eval_fraction, config.split.seed)
        split_ids = pd.concat([parts["train"]["record_id"], parts["eval"]["record_id"]], ignore_index=True)
        no_rejections = empty_rejections(STAGE)
        checks = {
            TRAIN_KEY: [
                evaluate_suite(TRAIN_KEY, parts["train"], suites["train"]),
                # The split drops nothing: every decontaminated record is in exactly one split.
                reconciliation_result(TRAIN_KEY, reconcile_ids(records["record_id"], split_ids, no_rejections["record_id"])),
            ],
            EVAL_KEY: [
                evaluate_suite(EVAL_KEY, parts["eval"], suites["eval"]),
                leakage_result(parts["train"], parts["eval"]),
            ],
        }
        all_checks = checks[TRAIN_KEY] + checks[EVAL_KEY]
        for key in (TRAIN_KEY, EVAL_KEY):
            table = key.path[-1]
            # Both splits share one verdict: publishing train without its eval would mislead.
            published = publish_or_quarantine(context, store, table, parts[table], no_rejections, all_checks, STAGE)
            yield dg.MaterializeResult(
                asset_key=key,
                metadata=stage_metadata(table, store, parts[table], no_rejections, STAGE, published),
                check_results=checks[key],
            )

    return dg.Definitions(assets=[splits])
