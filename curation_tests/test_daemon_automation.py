"""The schedule, the inbox sensor and the automation working in `dagster dev`: its daemon ticks them.

The schedule's cron is set to fire two minutes from now and the inbox is polled every 5 s, so the
test sees in a few minutes what production sees daily. Then a source is re-materialized by hand, and the
automation sensor refreshes what is downstream of it. The UI's automation page lists them all
(screenshot).
"""

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest
import yaml

from dagster_dev import CHROMIUM, CHROMIUM_ARGS, dagster_dev, isolated_environment, skip_community_dialog
from support import demo_config_dict, query

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.browser]

RUN_JOB = Path(__file__).with_name("run_job.py")
FEEDBACK = [
    {"instruction": "How do I rotate the API key for my team's workspace without downtime?",
     "response": "Create a second key, switch your services to it, then revoke the old key from Settings > API."},
    {"instruction": "Where can I download last quarter's usage report as a PDF?",
     "response": "Open Reports, pick Usage, set the quarter and press Download; PDF is one of the formats offered."},
]


def _runs_by(instance: dg.DagsterInstance, tag: str, value: str) -> list[dg.DagsterRun]:
    return list(instance.get_runs(filters=dg.RunsFilter(tags={tag: value})))


def _wait_for_success(instance: dg.DagsterInstance, tag: str, value: str, deadline: float) -> dg.DagsterRun:
    while time.monotonic() < deadline:
        runs = _runs_by(instance, tag, value)
        finished = [run for run in runs if run.is_finished]
        if finished:
            return finished[0]
        time.sleep(2)
    raise AssertionError(f"no finished run with {tag}={value} before the deadline")


def _wait_for_automation(instance: dg.DagsterInstance, assets: set[str], deadline: float) -> list[dg.DagsterRun]:
    """The automation runs, once every one of ``assets`` was last materialized by one of them."""
    while time.monotonic() < deadline:
        latest = {name: instance.get_latest_materialization_event(dg.AssetKey(name)) for name in assets}
        runs = {name: instance.get_run_by_id(event.run_id) if event else None for name, event in latest.items()}
        if all(run is not None and run.tags.get("dagster/from_automation_condition") == "true" and run.is_finished
               for run in runs.values()):
            return _runs_by(instance, "dagster/from_automation_condition", "true")
        time.sleep(3)
    raise AssertionError(f"the automation did not refresh {sorted(assets)} before the deadline")


def test_schedule_and_inbox_sensor_run_under_the_daemon(tmp_path):
    from playwright.sync_api import sync_playwright

    config = demo_config_dict()
    config["inbox"].update(poll_seconds=5, settle_seconds=1)
    config_path = tmp_path / "config.yaml"
    env = isolated_environment(tmp_path, config_path)
    # Production order: the graph has been materialized once (`curation run`) before the daemon runs.
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    base = subprocess.run([sys.executable, str(RUN_JOB)], env=env, capture_output=True, text=True, timeout=600)
    assert base.returncode == 0 and json.loads(base.stdout.strip().splitlines()[-1])["status"] == "SUCCESS", \
        base.stderr[-3000:]
    # The schedule fires once, at the first whole minute at least 90 s from now (time for dagster dev
    # to start): every minute would keep a run in progress, and automation waits for quiet upstreams.
    fire_at = datetime.fromtimestamp(time.time() + 90 + 60, timezone.utc).replace(second=0, microsecond=0)
    config["schedule"] = {"cron": f"{fire_at.minute} {fire_at.hour} * * *", "timezone": "UTC"}
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    started = time.monotonic()
    with dagster_dev(tmp_path, env) as url:
        inbox = Path(env["CURATION_INBOX"])
        inbox.mkdir(exist_ok=True)
        (inbox / "feedback.jsonl").write_text("".join(json.dumps(row) + "\n" for row in FEEDBACK), encoding="utf-8")

        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            deadline = time.monotonic() + 300
            scheduled = _wait_for_success(instance, "dagster/schedule_name", "daily_synthetic_batch", deadline)
            inbox_run = _wait_for_success(instance, "dagster/sensor_name", "inbox_files", deadline)
            # Let the automation sensor tick once after those runs (every 30 s). An update landing in the
            # same tick window as a run that also refreshed `combined` counts as handled by that run
            # (`eager` is `since_last_handled`), and nothing would be requested: seen once in CI.
            time.sleep(35)
            # A person re-loads one source; its checks pass, so the automation refreshes downstream.
            manual = subprocess.run([sys.executable, "-m", "dagster", "asset", "materialize", "-m",
                                     "curation_assets.definitions", "--select", "raw_support_logs"],
                                    env=env, capture_output=True, text=True, timeout=300)
            assert manual.returncode == 0, manual.stderr[-3000:]
            refreshed = _wait_for_automation(instance, {"combined", "cleaned", "train", "exports"},
                                             time.monotonic() + 360)
            failed = list(instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE])))

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                skip_community_dialog(page, url)
                page.goto(f"{url}/automation")
                for name in ("daily_synthetic_batch", "inbox_files", "curation_refresh"):
                    page.get_by_text(name, exact=True).first.wait_for(timeout=60_000)
                page.screenshot(path=str(Path(os.environ.get("CURATION_SCREENSHOT_DIR") or tmp_path)
                                         / "dagster_ui_automation.png"), full_page=True)
            finally:
                browser.close()
    print(f"daemon test: {time.monotonic() - started:.1f} s from dagster dev start to the three runs finished")

    log = (tmp_path / "dagster_dev.log").read_text()
    assert scheduled.status == dg.DagsterRunStatus.SUCCESS, log[-3000:]
    assert inbox_run.status == dg.DagsterRunStatus.SUCCESS, log[-3000:]
    assert refreshed and all(run.status == dg.DagsterRunStatus.SUCCESS for run in refreshed), log[-3000:]
    assert not any(dg.AssetKey("raw_support_logs") in (run.asset_selection or ()) for run in refreshed)
    assert not failed, [run.job_name for run in failed]
    assert "Could not set lock" not in log

    warehouse = tmp_path / "warehouse.duckdb"
    day = scheduled.tags["curation/day"]
    assert day in {datetime.now(timezone.utc).strftime("%Y%m%d"), datetime.fromtimestamp(
        time.time() - 600, timezone.utc).strftime("%Y%m%d")}
    assert query(warehouse, "SELECT count(*) FROM main.synthetic_batches WHERE source = ?",
                 [f"synth_forms_de_{day}"])[0][0] == 20
    assert query(warehouse, "SELECT count(*) FROM main.raw_inbox WHERE source = 'inbox/feedback.jsonl'")[0][0] == 2
    in_splits = query(warehouse, "SELECT count(*) FROM (SELECT source FROM main.train UNION ALL "
                                 "SELECT source FROM main.eval) WHERE source = 'inbox/feedback.jsonl'")[0][0]
    assert in_splits == 2
