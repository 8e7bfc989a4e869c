"""A ``curation run`` killed outright leaves its run started; the next ``curation run`` marks it failed
(naming the dead process) and runs normally."""

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


def _curation_run(tmp_path) -> subprocess.Popen:
    environment = {**os.environ, "DAGSTER_HOME": str(tmp_path / ".dagster"), "CURATION_CONFIG": str(DEMO_CONFIG),
                   "CURATION_WAREHOUSE": str(tmp_path / "data" / "warehouse.duckdb"),
                   "CURATION_OUTPUT_DIR": str(tmp_path / "data" / "exports")}
    return subprocess.Popen([sys.executable, "-m", "curation_assets.cli", "run"], cwd=tmp_path, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _runs(tmp_path) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(tmp_path / ".dagster")) as instance:
        return instance.get_runs()


def test_a_killed_run_is_marked_failed_by_the_next(tmp_path):
    killed = _curation_run(tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # killed once its run has started
        if (tmp_path / ".dagster" / "dagster.yaml").exists() and any(
                run.status == dg.DagsterRunStatus.STARTED for run in _runs(tmp_path)):
            break
        assert killed.poll() is None, killed.communicate()[1][-2000:]
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    (abandoned,) = _runs(tmp_path)
    assert abandoned.status == dg.DagsterRunStatus.STARTED  # nothing could report its end

    again = _curation_run(tmp_path)
    _, stderr = again.communicate(timeout=600)
    assert again.returncode == 0, stderr[-3000:]
    assert f"run {abandoned.run_id} was left started" in stderr
    statuses = {run.run_id: run.status for run in _runs(tmp_path)}
    assert statuses.pop(abandoned.run_id) == dg.DagsterRunStatus.FAILURE
    assert list(statuses.values()) == [dg.DagsterRunStatus.SUCCESS]
    with dg.DagsterInstance.from_config(str(tmp_path / ".dagster")) as instance:
        failure = [event for event in instance.all_logs(abandoned.run_id)
                   if event.dagster_event is not None and event.dagster_event.event_type_value == "PIPELINE_FAILURE"]
    assert f"(pid {killed.pid}) ended without finishing" in failure[-1].dagster_event.message
