"""The README's main command: `curation run`, Dagster's multiprocess executor, parallel DuckDB writers."""

import os
import subprocess
import sys

import pytest
import yaml

from support import DEMO_CONFIG, query

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_curation_run_with_parallel_writers_succeeds(tmp_path):
    demo = yaml.safe_load(DEMO_CONFIG.read_text())
    sources = []
    for copy in range(2):  # eight raw assets, all runnable at once, all writing the same DuckDB file
        for source in demo["sources"]:
            sources.append({**source, "name": f"{source['name']}_{copy}",
                            "path": str(DEMO_CONFIG.parent / source["path"])})
    config = tmp_path / "config.yaml"
    # A small input would run in one process (engine.executor: auto); this test is about parallel steps,
    # whose stages run on worker pools (small shards), which must end with their step.
    config.write_text(yaml.safe_dump({"sources": sources, "engine": {"executor": "multiprocess", "parallel_min_records": 0},
                                      "warehouse": {"shard_records": 300}}), encoding="utf-8")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    for name in ("CURATION_WAREHOUSE", "CURATION_OUTPUT_DIR", "CURATION_CONFIG"):
        env.pop(name, None)

    completed = subprocess.run(
        [sys.executable, "-m", "curation_assets.cli", "run", "--config", str(config)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )

    log = completed.stdout + completed.stderr
    assert completed.returncode == 0, log[-5000:]
    assert "Multiprocess executor" in log
    assert "Could not set lock" not in log
    warehouse = tmp_path / "curation_data" / "warehouse.duckdb"
    raw_tables = query(warehouse, "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'raw_%'")[0][0]
    assert raw_tables == 8
    assert (tmp_path / "curation_data" / "exports" / "train-00000-of-00001.jsonl").stat().st_size > 0
    assert "rejected  dedup:exact_duplicate" in completed.stdout  # the run summary
