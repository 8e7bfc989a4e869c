"""Declarative automation: downstream refreshes after an upstream update, only when its checks passed."""

import json

import dagster as dg

from curation_assets.config import load_config
from curation_assets.definitions import build_definitions
from support import write_config


def _defs(workdir, long_response_chars: int) -> dg.Definitions:
    data = workdir / "notes.jsonl"
    rows = [{"q": f"Question {i}?", "a": f"Answer {i}."} for i in range(20)]
    rows.append({"q": "Tell me everything.", "a": "x" * long_response_chars})
    data.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    config = write_config(workdir / "config.yaml", [{
        "name": "notes", "path": str(data), "format": "jsonl", "kind": "real", "license": "test",
        "fields": {"instruction": "q", "response": "a"}}], checks={"max_text_chars": 200})
    return build_definitions(load_config(config))


def _materialize_raw(defs: dg.Definitions, instance: dg.DagsterInstance) -> bool:
    raw = [asset for asset in defs.assets if isinstance(asset, dg.AssetsDefinition) and dg.AssetKey("raw_notes") in asset.keys]
    return dg.materialize(raw, resources={"warehouse": defs.resources["warehouse"]}, instance=instance,
                          raise_on_error=False).success


def _requested_after_raw_update(defs: dg.Definitions, instance: dg.DagsterInstance) -> tuple[bool, set[str]]:
    """Evaluate once (the sensor's previous tick), update the source, evaluate again: what is requested?"""
    before = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    succeeded = _materialize_raw(defs, instance)
    after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=before.cursor)
    requested = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()
                 if after.get_num_requested(key)}
    return succeeded, requested


def test_a_checked_source_update_refreshes_the_next_stage(workdir):
    defs = _defs(workdir, long_response_chars=150)
    with dg.DagsterInstance.ephemeral() as instance:
        succeeded, requested = _requested_after_raw_update(defs, instance)
        assert succeeded
        # The updated source's whole downstream refreshes in one tick; the source itself is not re-run.
        assert {"combined", "deduplicated", "cleaned", "train", "eval", "exports"} <= requested
        assert "raw_notes" not in requested


def test_a_source_that_failed_its_blocking_check_triggers_nothing(workdir):
    defs = _defs(workdir, long_response_chars=500)
    with dg.DagsterInstance.ephemeral() as instance:
        succeeded, requested = _requested_after_raw_update(defs, instance)
        assert not succeeded and requested == set()


def test_roots_have_no_condition_and_every_stage_has_one():
    defs = _defs_for_shape()
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        if not graph.get(key).is_materializable:
            continue  # the side tables (defs/side_tables.py): written by their producer, never run
        condition = graph.get(key).automation_condition
        is_root = key.to_user_string().startswith("raw_") or key.to_user_string() == "synthetic_batches"
        assert (condition is None) == is_root, key


def _defs_for_shape() -> dg.Definitions:
    from support import DEMO_CONFIG

    return build_definitions(load_config(DEMO_CONFIG))
