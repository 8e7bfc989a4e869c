"""Two runs at once on one warehouse: the daily schedule's and a manual run of the whole graph."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import DEMO_CONFIG, query

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

RUN_JOB = Path(__file__).with_name("run_job.py")


def _run_job(env, *args):
    return subprocess.Popen([sys.executable, str(RUN_JOB), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_scheduled_and_a_manual_run_at_once_both_succeed_and_leave_a_consistent_warehouse(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "CURATION_CONFIG": str(DEMO_CONFIG),
           "CURATION_WAREHOUSE": str(tmp_path / "warehouse.duckdb"), "CURATION_OUTPUT_DIR": str(tmp_path / "exports")}
    # The scheduled run refreshes what is downstream of the batches, so the sources were read once
    # before (this also creates the instance's storage, which two processes must not race to create).
    base = _run_job(env)
    stdout, stderr = base.communicate(timeout=900)
    assert base.returncode == 0, stderr[-3000:]
    # The daily schedule's run for 27 Nov and a manual `curate` run, started together.
    runs = [_run_job(env, "--scheduled", "2026-11-27T02:00:00+00:00"), _run_job(env)]
    outputs = [run.communicate(timeout=900) for run in runs]

    for run, (stdout, stderr) in zip(runs, outputs):
        assert run.returncode == 0, stderr[-3000:]
        assert json.loads(stdout.strip().splitlines()[-1])["status"] == "SUCCESS", stderr[-3000:]
        assert "Could not set lock" not in stderr
    warehouse = tmp_path / "warehouse.duckdb"
    # Each stage's table and rejections come from one publish: counts balance as after a single run.
    combined, mixed, cleaned, decontaminated, deduplicated = (
        query(warehouse, f"SELECT count(*) FROM main.{t}")[0][0]
        for t in ("combined", "mixed", "cleaned", "decontaminated", "deduplicated"))
    rejected = dict(query(warehouse, "SELECT stage, count(*) FROM rejections GROUP BY stage"))
    assert combined == mixed + rejected.get("mix", 0)
    assert mixed == cleaned + rejected["clean"]
    assert cleaned == decontaminated + rejected.get("decontaminate", 0)
    assert decontaminated == deduplicated + rejected["dedup"]
    duplicated_rejections = query(warehouse, "SELECT count(*) - count(DISTINCT (stage, record_id)) FROM rejections")
    assert duplicated_rejections[0][0] == 0
    assert query(warehouse, "SELECT count(*) FROM main.synthetic_batches WHERE source = 'synth_forms_de_20261127'")[0][0] == 20
