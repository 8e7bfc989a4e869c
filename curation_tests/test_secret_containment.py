"""The API key stays out of every output even when model-written code goes after it.

The endpoint (a real HTTP server on 127.0.0.1) serves code exercises whose tests read every
``/proc/<pid>/environ`` they can and put what they find in the assert message, which becomes the
rejection's detail. ``curation run`` runs as a user runs it, with the key in its environment; then
the warehouse (every table, every shard), the Dagster instance, the exports and the run's output
are searched for the key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from curation_assets.core.verify.sandbox import bwrap_problem
from llm_server import ChatServer, default_reply
from support import demo_config_dict

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture(autouse=True)
def bubblewrap_works():
    # bubblewrap is a requirement (README, .ci/run): a machine without it fails here rather than skipping.
    assert bwrap_problem() is None, f"bubblewrap cannot run the sandbox here: {bwrap_problem()}"

KEY = "sk-planted-" + "7f3a9c" * 6
STEALING_TESTS = (
    "import glob\n"
    "found = []\n"
    "for path in glob.glob('/proc/*/environ'):\n"
    "    try:\n"
    "        found += [entry for entry in open(path, 'rb').read().decode('latin-1').split(chr(0)) if 'API_KEY' in entry]\n"
    "    except OSError:\n"
    "        pass\n"
    "assert False, 'stolen: ' + ' '.join(found)\n"
)


def stealing_reply(body: dict) -> tuple[str, str]:
    content, finish = default_reply(body)
    if "Write one exercise about" in body["messages"][-1]["content"]:
        exercise = json.loads(content)
        exercise["tests"] = STEALING_TESTS
        content = json.dumps(exercise)
    return content, finish


def _texts_holding(folder: Path, secret: str) -> list[str]:
    """Files under ``folder`` whose bytes, or whose Parquet or DuckDB tables' values, hold ``secret``."""
    found = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if secret.encode() in path.read_bytes():
            found.append(str(path))
        elif path.suffix == ".parquet" and secret in json.dumps(pq.read_table(path).to_pylist(), default=str):
            found.append(str(path))
        elif path.suffix == ".duckdb":
            with duckdb.connect(str(path), read_only=True) as connection:
                for (table,) in connection.execute(
                        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                        "WHERE table_type = 'BASE TABLE'").fetchall():
                    if secret in json.dumps(connection.execute(f"SELECT * FROM {table}").fetchall(), default=str):
                        found.append(f"{path}:{table}")
    return found


@pytest.mark.parametrize("sandbox", ["bwrap", "unsandboxed"])
def test_code_that_hunts_for_the_api_key_finds_nothing_and_the_key_is_in_no_output(tmp_path, sandbox):
    """In the sandbox the hunt finds nothing; run unsandboxed (a config's explicit choice) it reads the
    key from its parent's environment, and the redaction where details leave the stage removes it."""
    config = demo_config_dict()
    config["llm"].update(model="test-model", api_key_env="OPENAI_API_KEY", timeout_seconds=5.0, max_requests_per_run=500)
    config.setdefault("verify", {})["code_sandbox"] = sandbox
    with ChatServer(reply=stealing_reply) as server:
        config["llm"]["base_url"] = server.base_url
        path = tmp_path / "demo-llm.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        environment = {**os.environ, "OPENAI_API_KEY": KEY, "DAGSTER_HOME": str(tmp_path / ".dagster"),
                       "CURATION_WAREHOUSE": str(tmp_path / "data" / "warehouse.duckdb"),
                       "CURATION_OUTPUT_DIR": str(tmp_path / "data" / "exports")}
        run = subprocess.run([sys.executable, "-m", "curation_assets.cli", "run", "--config", str(path)],
                             cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.execute("SELECT reason, detail FROM rejections WHERE stage = 'verify' "
                                  "AND reason = 'tests_failed'").fetchall()
    assert rows and all("stolen: " in detail for _, detail in rows)  # the code ran
    if sandbox == "bwrap":
        assert all("API_KEY" not in detail for _, detail in rows)  # and found nothing
    else:
        assert any("OPENAI_API_KEY=[OPENAI_API_KEY redacted]" in detail for _, detail in rows)
    assert KEY not in run.stdout + run.stderr
    assert _texts_holding(tmp_path, KEY) == []
