"""A ``curation run`` killed outright leaves its run started; the next ``curation run`` marks it failed
(naming the dead process) and runs normally. Also what a person sees: a line per step by default,
Dagster's event log with ``--verbose``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import dagster as dg
import pytest

from support import DEMO_CONFIG

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _curation_run(tmp_path, *options: str) -> subprocess.Popen:
    environment = {**os.environ, "DAGSTER_HOME": str(tmp_path / ".dagster"), "CURATION_CONFIG": str(DEMO_CONFIG),
                   "CURATION_WAREHOUSE": str(tmp_path / "data" / "warehouse.duckdb"),
                   "CURATION_OUTPUT_DIR": str(tmp_path / "data" / "exports")}
    return subprocess.Popen([sys.executable, "-m", "curation_assets.cli", "run", *options], cwd=tmp_path, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _runs(tmp_path) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(tmp_path / ".dagster")) as instance:
        return instance.get_runs()


def test_a_killed_run_is_marked_failed_by_the_next(tmp_path):
    killed = _curation_run(tmp_path, "--verbose")
    # Killed once a step has started (read from its event log: opening the instance while the run
    # creates it would race its schema creation).
    seen = []
    for line in killed.stderr:
        seen.append(line)
        if "STEP_START" in line and "raw_" in line:
            break
    assert any("STEP_START" in line for line in seen), "".join(seen)[-3000:]  # --verbose: Dagster's event log
    time.sleep(0.5)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.communicate()
    (abandoned,) = _runs(tmp_path)
    assert abandoned.status == dg.DagsterRunStatus.STARTED  # nothing could report its end

    again = _curation_run(tmp_path)
    stdout, stderr = again.communicate(timeout=600)
    assert again.returncode == 0, stderr[-3000:]
    assert f"run {abandoned.run_id} was left started" in stderr
    # By default a line per step (rows, rejections by reason), no event log, no warnings about Dagster's APIs.
    lines = stderr.strip().splitlines()
    assert "STEP_START" not in stderr and "DEBUG" not in stderr and "Warning" not in stderr, stderr[-3000:]
    step_lines = {line.split()[0]: line for line in lines if line.startswith("  ")}
    assert "rejected (dedup:exact_duplicate" in step_lines["deduplicated"]
    assert "train: " in step_lines["splits"] and step_lines["data_card"].endswith(" s"), stderr
    assert len(lines) <= len(step_lines) + 25, stderr  # the telemetry notice (a first run's) and little else
    # A progress line (records or shards done of the total, rate) for every long step; on a pipe, plain lines.
    for label in ("cleaned", "decontaminated", "deduplicated: signing", "deduplicated", "splits", "exports",
                  "data_card: profiling train"):
        assert any(line.startswith(f"  {label}: 100%") for line in lines), (label, stderr)
    assert "\r" not in stderr
    # Then the summary: every table's rows, the rejections by stage:reason, the mix against its targets.
    assert "Warehouse: " in stdout and "rejected  dedup:exact_duplicate" in stdout and "Mix (achieved vs target share):" in stdout
    statuses = {run.run_id: run.status for run in _runs(tmp_path)}
    assert statuses.pop(abandoned.run_id) == dg.DagsterRunStatus.FAILURE
    assert list(statuses.values()) == [dg.DagsterRunStatus.SUCCESS]
    with dg.DagsterInstance.from_config(str(tmp_path / ".dagster")) as instance:
        failure = [event for event in instance.all_logs(abandoned.run_id)
                   if event.dagster_event is not None and event.dagster_event.event_type_value == "PIPELINE_FAILURE"]
    assert f"(pid {killed.pid}) ended without finishing" in failure[-1].dagster_event.message
