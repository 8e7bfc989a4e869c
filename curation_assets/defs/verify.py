"""verified_synthetic: every active batch's records after rule checks, the code sandbox and the judge."""


import dagster as dg

from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.core.verify import verify
from curation_assets.defs.publishing import StageOutput, check_and_publish, record_check_specs
from curation_assets.defs.resources import step_resources
from curation_assets.defs.synthetic import SYNTHETIC_KEY
from curation_assets.core.reconcile import reconcile_ids
from curation_assets.storage import batch_store

GROUP = "synthetic"
VERIFIED_KEY = dg.AssetKey("verified_synthetic")


def definitions(config: PipelineConfig) -> dg.Definitions:
    catalog = config.catalog()
    if not catalog.active_batches():
        return dg.Definitions()
    suite = record_suite(VERIFIED_KEY.path[-1], config, require_text=False)
    judge_on = config.judge_enabled()
    repair_on = config.verify.repair_rounds > 0 and config.has_llm_endpoint()
    uses_llm = judge_on or repair_on
    judge = verify.JudgeSettings(
        model=config.judge_model(), rubric_id=config.verify.judge.rubric, threshold=config.verify.judge.threshold,
        sampling=config.verify.judge.sampling.model_dump(), judge_rule_based=config.verify.judge.judge_rule_based,
    ) if judge_on else None
    checks_run = "rule checks, code tests in a sandbox" + (f", LLM judge ({config.judge_model()})" if judge_on else "")

    @dg.asset(
        key=VERIFIED_KEY,
        deps=[SYNTHETIC_KEY],
        group_name=GROUP,
        kinds={"duckdb", "python"},
        description=f"Synthetic records admitted after {checks_run}; failures go to rejections (stage verify).",
        code_version=config.stage_version(config.verify, config.synthetic, config.checks),
        check_specs=record_check_specs(VERIFIED_KEY, suite),
        **step_resources(uses_llm),
    )
    def verified_synthetic(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        store = context.resources.warehouse.get()
        client = context.resources.llm.client(store, context.run_id, progress=context.log.info) if uses_llm else None
        every_batch = store.read_records(batch_store.SYNTHETIC_TABLE)
        active = every_batch["source"].map(catalog.is_active_batch).astype(bool)
        records = every_batch[active].reset_index(drop=True)
        ignored = sorted(set(every_batch.loc[~active, "source"]))
        result, stats = verify.verify_records(
            records, config.verify, judge=judge, complete=client.complete if client else None,
            repair_model=config.llm.model if repair_on else None,
        )
        extra = {
            "checks_run": checks_run,
            "verification": dg.MetadataValue.json(vars(stats)),
            "inactive_batches": dg.MetadataValue.json(
                {b.name: "LLM task and no llm.base_url configured" for b in catalog.inactive_batches()}),
            "ignored_batches_no_longer_configured": dg.MetadataValue.json(ignored),
        }
        if client is not None:
            extra["llm"] = dg.MetadataValue.json(vars(client.stats))
        output = StageOutput(VERIFIED_KEY, VERIFIED_KEY.path[-1], result.kept, suite,
                             reconcile_ids(records["record_id"], result.kept["record_id"], result.rejected["record_id"]))
        return check_and_publish(context, store, output, result.rejected, stage=verify.STAGE, extra_metadata=extra,
                                 uses_llm=client is not None)

    return dg.Definitions(assets=[verified_synthetic])
