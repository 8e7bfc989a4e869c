"""The README's main command: `curation run`, Dagster's multiprocess executor, parallel DuckDB writers."""

import os
import signal
import subprocess
import sys
import time

import dagster as dg
import pytest
import yaml

from curation_assets.engine.process_ties import RUN_PID_ENV
from support import DEMO_CONFIG, query

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _parallel_config(tmp_path):
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
    return config, env


def test_curation_run_with_parallel_writers_succeeds(tmp_path):
    config, env = _parallel_config(tmp_path)

    completed = subprocess.run(
        [sys.executable, "-m", "curation_assets.cli", "run", "--config", str(config)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
    )

    log = completed.stdout + completed.stderr
    assert completed.returncode == 0, log[-5000:]
    assert "Could not set lock" not in log
    # The step processes load the definitions afresh: they too keep Dagster's API warnings to themselves.
    assert "Warning" not in completed.stderr, completed.stderr[-5000:]
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        (run,) = instance.get_runs()
        engine_messages = [event.message for event in instance.all_logs(run.run_id)]
    assert any("Multiprocess executor" in message for message in engine_messages)
    warehouse = tmp_path / "curation_data" / "warehouse.duckdb"
    raw_tables = query(warehouse, "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'raw_%'")[0][0]
    assert raw_tables == 8
    assert (tmp_path / "curation_data" / "exports" / "train-00000-of-00001.jsonl").stat().st_size > 0
    assert "rejected  dedup:exact_duplicate" in completed.stdout  # the run summary


def _processes_of_run(run_pid: int) -> list[int]:
    """The processes whose environment says the curation run ``run_pid`` started them."""
    marker = f"{RUN_PID_ENV}={run_pid}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != run_pid:
            try:
                with open(f"/proc/{entry}/environ", "rb") as file:
                    if marker in file.read().split(b"\0"):
                        found.append(int(entry))
            except OSError:
                pass
    return found


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            return int(file.read().rsplit(b")", 1)[1].split()[1])
    except OSError:
        return None


def test_killing_curation_run_alone_ends_its_step_processes_and_workers(tmp_path):
    """SIGKILL to the curation process only (not its process group, as a supervisor or the OOM killer
    would): its step processes and their pool workers go with it instead of writing on."""
    config, env = _parallel_config(tmp_path)
    run = subprocess.Popen([sys.executable, "-m", "curation_assets.cli", "run", "--verbose", "--config", str(config)],
                           cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in run.stderr:
            if "STEP_START" in line and "combined" in line:  # raw steps done, more steps (and their pools) to come
                break
        deadline = time.monotonic() + 60
        while not _processes_of_run(run.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _processes_of_run(run.pid), "the run started no step process"
        # The run's own children (multiprocessing's forkserver and resource tracker) exit by themselves,
        # in their time; what must not run on is the work: the step processes and their pool workers.
        children = {pid for pid in _processes_of_run(run.pid) if _parent_of(pid) == run.pid}
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        killed = time.monotonic()
        while set(_processes_of_run(run.pid)) - children and time.monotonic() < killed + 20:
            time.sleep(0.05)
        # Without the watchdog the steps ran on for 9-11 s (until the forkserver exited); with it, 0.25 s.
        assert time.monotonic() - killed < 3.0, set(_processes_of_run(run.pid)) - children
        while _processes_of_run(run.pid) and time.monotonic() < killed + 30:
            time.sleep(0.2)
        assert _processes_of_run(run.pid) == []
    finally:
        if run.poll() is None:
            run.kill()
        for pid in _processes_of_run(run.pid):
            os.kill(pid, signal.SIGKILL)
