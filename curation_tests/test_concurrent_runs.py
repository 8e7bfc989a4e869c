"""Two runs of the whole graph at once (a scheduled one and a manual one) on one warehouse."""

import json
import os
import subprocess
import sys
from pathlib import Path

from support import DEMO_CONFIG, query

RUN_JOB = Path(__file__).with_name("run_job.py")


def test_two_concurrent_runs_both_succeed_and_leave_a_consistent_warehouse(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "CURATION_CONFIG": str(DEMO_CONFIG),
           "CURATION_WAREHOUSE": str(tmp_path / "warehouse.duckdb"), "CURATION_OUTPUT_DIR": str(tmp_path / "exports")}
    # The Dagster instance exists before runs overlap in real life (dagster dev made it); creating its
    # SQLite storage from two processes at once is a Dagster race this test is not about.
    subprocess.run([sys.executable, "-c", "import dagster; dagster.DagsterInstance.get().get_runs()"], env=env,
                   check=True, timeout=120)
    runs = [subprocess.Popen([sys.executable, str(RUN_JOB)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=900) for run in runs]

    for run, (stdout, stderr) in zip(runs, outputs):
        assert run.returncode == 0, stderr[-3000:]
        assert json.loads(stdout.strip().splitlines()[-1])["status"] == "SUCCESS", stderr[-3000:]
        assert "Could not set lock" not in stderr
    warehouse = tmp_path / "warehouse.duckdb"
    # Each stage's table and rejections come from one publish: counts balance as after a single run.
    combined, mixed, deduplicated, cleaned = (query(warehouse, f"SELECT count(*) FROM main.{t}")[0][0]
                                              for t in ("combined", "mixed", "deduplicated", "cleaned"))
    rejected = dict(query(warehouse, "SELECT stage, count(*) FROM rejections GROUP BY stage"))
    assert combined == mixed + rejected.get("mix", 0)
    assert mixed == deduplicated + rejected["dedup"]
    assert deduplicated == cleaned + rejected["clean"]
    duplicated_rejections = query(warehouse, "SELECT count(*) - count(DISTINCT (stage, record_id)) FROM rejections")
    assert duplicated_rejections[0][0] == 0
