"""The code location loads and has the graph the README promises."""

import importlib
import subprocess
import sys

import dagster as dg
import pytest
import yaml

from support import DEMO_CONFIG, REPO_ROOT, SHARED_CONFIG
from curation_assets.config import load_config
from curation_assets.definitions import CURATE_JOB, build_definitions

STAGE_ASSETS = {"combined", "mixed", "deduplicated", "cleaned", "decontaminated", "train", "eval", "exports"}
SYNTHETIC_ASSETS = {"synthetic_batches", "verified_synthetic"}
REPORT_ASSETS = {"statistics", "ladder", "data_card"}
# Written in their producer's transaction; in the graph as specs downstream of it (no LLM in the demo: no llm_cache).
SIDE_TABLES = {"rejections", "duplicate_clusters", "conflicts", "dedup_history", "mix_report"}


def _keys(defs: dg.Definitions) -> set[str]:
    return {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}


def test_definitions_module_loads_the_demo_graph(monkeypatch):
    monkeypatch.delenv("CURATION_CONFIG", raising=False)
    module = importlib.reload(importlib.import_module("curation_assets.definitions"))
    dg.Definitions.validate_loadable(module.defs)
    demo_sources = {f"raw_{source.name}" for source in load_config(DEMO_CONFIG).sources}
    assert _keys(module.defs) == (demo_sources | {"raw_inbox"} | STAGE_ASSETS | SYNTHETIC_ASSETS | REPORT_ASSETS
                                  | SIDE_TABLES)
    graph = module.defs.resolve_asset_graph()
    parents = {key.to_user_string(): {parent.to_user_string() for parent in graph.get(key).parent_keys}
               for key in graph.get_all_asset_keys()}
    assert demo_sources | {"deduplicated", "cleaned", "mixed"} <= parents["rejections"]
    assert parents["duplicate_clusters"] == parents["dedup_history"] == {"deduplicated"}
    assert parents["mix_report"] == {"mixed"}
    assert module.defs.resolve_job_def(CURATE_JOB) is not None
    # Production wiring: the daily schedule, the inbox sensor and the automation sensor start out running.
    schedule = module.defs.resolve_schedule_def("daily_synthetic_batch")
    assert schedule.job_name == "daily_synthetic" and schedule.cron_schedule == "0 2 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    for name in ("inbox_files", "curation_refresh", "synthetic_batch_partitions"):
        assert module.defs.resolve_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING, name
    # curate covers everything; the schedule's and the sensor's runs cover the two partitioned assets
    # (which share one partition space) and everything downstream, not the configured sources.
    jobs = {name: {key.to_user_string() for key in module.defs.resolve_job_def(name).asset_layer.executable_asset_keys}
            for name in (CURATE_JOB, "ingest_inbox", "daily_synthetic")}
    assert jobs[CURATE_JOB] == _keys(module.defs) - SIDE_TABLES
    assert jobs["ingest_inbox"] == jobs["daily_synthetic"] == {"raw_inbox"} | SYNTHETIC_ASSETS | STAGE_ASSETS | REPORT_ASSETS


def test_every_record_asset_has_a_blocking_suite_and_reconciliation():
    defs = build_definitions(load_config(SHARED_CONFIG))
    graph = defs.resolve_asset_graph()
    checks_by_asset: dict[str, set[str]] = {}
    for check_key in graph.asset_check_keys:
        checks_by_asset.setdefault(check_key.asset_key.to_user_string(), set()).add(check_key.name)
    for asset in _keys(defs) - {"exports"} - REPORT_ASSETS - SIDE_TABLES:
        assert f"gx_{asset}" in checks_by_asset[asset], asset
    for asset in _keys(defs) - {"exports", "eval"} - REPORT_ASSETS - SIDE_TABLES:
        assert "reconciliation" in checks_by_asset[asset], asset
    assert "no_instruction_in_both_splits" in checks_by_asset["eval"]
    assert "files_match_tables" in checks_by_asset["exports"]
    assert "pipeline_balances" in checks_by_asset["statistics"]
    # Every check blocks, but the warning that a partition was quarantined or failed alone (the
    # partitions beside it are published and flow on).
    blocking = [(spec.name, spec.blocking) for asset in defs.assets if isinstance(asset, dg.AssetsDefinition)
                for spec in asset.check_specs]
    warnings = [blocks for name, blocks in blocking if name == "every_partition_published"]
    assert warnings and not any(warnings)
    assert all(blocks for name, blocks in blocking if name != "every_partition_published")


def test_shared_data_config_gives_one_raw_asset_per_source():
    defs = build_definitions(load_config(SHARED_CONFIG))
    assert {"raw_gsm8k", "raw_self_instruct_seeds", "raw_gpteacher_toolformer"} <= _keys(defs)


@pytest.mark.slow
@pytest.mark.e2e
def test_workspace_yaml_points_at_the_definitions_module():
    workspace = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())
    module_name = workspace["load_from"][0]["python_module"]["module_name"]
    assert module_name == "curation_assets.definitions"
    # `dagster definitions validate` loads the code location the way `dagster dev` does.
    completed = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", str(REPO_ROOT / "workspace.yaml")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_the_curate_job_runs_its_steps_in_processes_or_in_one_process_as_the_run_config_says(tmp_path):
    job = build_definitions(load_config(DEMO_CONFIG)).resolve_job_def(CURATE_JOB)
    for in_process, executor in ((False, "multiprocess"), (True, "in_process")):
        resolved = dg.validate_run_config(job, {"execution": {"config": {"in_process": in_process}}})
        assert executor in str(resolved["execution"]), resolved["execution"]
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, {"execution": {"config": {"in_process": "yes"}}})


def test_curation_run_runs_in_one_process_unless_told_and_auto_goes_by_the_input_size(tmp_path):
    from curation_assets.cli import source_bytes

    config = load_config(SHARED_CONFIG)
    size = source_bytes(config)
    assert config.engine.runs_in_process(size) and config.engine.runs_in_process(1 << 40)
    told = config.engine.model_copy(update={"executor": "multiprocess"})
    assert not told.runs_in_process(size)
    auto = config.engine.model_copy(update={"executor": "auto"})
    assert 5_000_000 < size < auto.in_process_max_bytes  # the shared datasets: about 8 MB
    assert auto.runs_in_process(size)
    assert not auto.runs_in_process(auto.in_process_max_bytes)


def test_every_asset_has_the_configured_owners_and_tags_and_described_columns():
    import dagster as dg

    from curation_assets.config import load_config
    from curation_assets.definitions import build_definitions

    graph = build_definitions(load_config()).resolve_asset_graph()  # the demo: owners team:data-curation
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners == ["team:data-curation"], key
        assert node.tags.get("project") == "demo" and node.tags.get("curation/pipeline") == "curate", key
    for table in ("rejections", "duplicate_clusters", "mix_report"):
        schema = graph.get(dg.AssetKey(table)).metadata["dagster/column_schema"]
        assert schema.columns and all(column.description for column in schema.columns), table


def test_owners_must_be_emails_or_teams(tmp_path):
    import pytest
    import yaml

    from curation_assets.config import ConfigError, load_config

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"sources": [{"name": "a", "path": "a.jsonl", "format": "jsonl", "kind": "real",
                                                  "license": "x", "fields": {"instruction": "q", "response": "r"}}],
                                     "assets": {"owners": ["alice"]}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="owners must be emails or 'team:<name>'; got 'alice'"):
        load_config(path)
