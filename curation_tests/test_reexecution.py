"""A run that failed on a blocking check is fixed and re-executed from its failure."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import query, write_config

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

RUN_JOB = Path(__file__).with_name("run_job.py")


def _run(env, *args) -> dict:
    completed = subprocess.run([sys.executable, str(RUN_JOB), *args], env=env, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _write(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_fix_the_data_then_reexecute_only_what_failed(tmp_path):
    good, notes = tmp_path / "good.jsonl", tmp_path / "notes.jsonl"
    _write(good, [{"q": f"Good question {i}?", "a": f"Good answer {i}."} for i in range(30)])
    _write(notes, [{"q": f"Note {i}?", "a": "x" * (500 if i == 3 else 20)} for i in range(10)])
    fields = {"instruction": "q", "response": "a"}
    config = write_config(tmp_path / "config.yaml", [
        {"name": "good", "path": str(good), "format": "jsonl", "kind": "real", "license": "test", "fields": fields},
        {"name": "notes", "path": str(notes), "format": "jsonl", "kind": "real", "license": "test", "fields": fields},
    ], checks={"max_text_chars": 200})
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "CURATION_CONFIG": str(config),
           "CURATION_WAREHOUSE": str(tmp_path / "warehouse.duckdb"), "CURATION_OUTPUT_DIR": str(tmp_path / "exports")}

    failed = _run(env)
    assert failed["status"] == "FAILURE"
    assert "raw_good" in failed["steps"] and "raw_notes" not in failed["steps"]
    assert query(tmp_path / "warehouse.duckdb", "SELECT count(*) FROM quarantine.raw_notes")[0][0] == 10

    _write(notes, [{"q": f"Note {i}?", "a": "x" * 20} for i in range(10)])  # the fix
    retried = _run(env, "--from", failed["run_id"])

    assert retried["status"] == "SUCCESS"
    assert "raw_notes" in retried["steps"] and "exports" in retried["steps"]
    assert "raw_good" not in retried["steps"]  # what succeeded before is not run again
    sources = dict(query(tmp_path / "warehouse.duckdb", "SELECT source, count(*) FROM main.combined GROUP BY 1"))
    assert sources == {"good": 30, "notes": 10}
