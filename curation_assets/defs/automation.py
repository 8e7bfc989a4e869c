"""Declarative automation: a stage refreshes when its upstream changed, and only when the
upstream's blocking checks passed (a quarantined table never triggers the stages that read it)."""

import dagster as dg

REFRESH_AFTER_CHECKS = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("eager, after upstream blocking checks passed")

def with_refresh_condition(asset: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """``asset`` with the refresh condition on every spec that has upstream assets in the graph.

    Raw sources take their input from outside the graph, and synthetic batches (partitioned) cost
    generation, LLM calls included: both run on demand or on a schedule, never because another
    asset changed.
    """
    return asset.map_asset_specs(
        lambda spec: spec.replace_attributes(automation_condition=REFRESH_AFTER_CHECKS)
        if spec.deps and spec.partitions_def is None else spec
    )


def automation_sensor() -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        "curation_refresh",
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Evaluates the stages' automation conditions: downstream refreshes after checked updates.",
    )
