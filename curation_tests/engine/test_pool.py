"""The worker pool: results in task order, a spawned pool kept for later calls inside a kept_pools()
scope and shut down when it ends, and a failing task fails the call without breaking the pool."""

from __future__ import annotations

import threading

import pytest

from curation_assets.engine.pool import _POOLS, kept_pools, map_tasks
from pool_tasks import fail_on, worker_pid


@pytest.fixture
def spawning():
    """A second thread, as in a Dagster step: the pool spawns its workers (and keeps them)."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()
    for pool in list(_POOLS.values()):
        pool.shutdown(wait=True)
    _POOLS.clear()


def test_a_spawned_pool_serves_later_calls_with_the_same_workers_until_its_scope_ends(spawning):
    with kept_pools():
        first = list(map_tasks(worker_pid, list(range(8)), workers=2))
        second = list(map_tasks(worker_pid, list(range(8)), workers=2))
        assert len(_POOLS) == 1
        workers = list(next(iter(_POOLS.values()))._processes.values())
    assert [task for task, _ in first] == list(range(8)) == [task for task, _ in second]
    first_workers, second_workers = {pid for _, pid in first}, {pid for _, pid in second}
    assert second_workers <= first_workers and len(first_workers | second_workers) <= 2
    assert not _POOLS and workers and not any(process.is_alive() for process in workers)  # shut down at the scope's end
    outside = {pid for _, pid in map_tasks(worker_pid, list(range(4)), workers=2)}
    assert not _POOLS and not outside & first_workers  # outside a scope: a pool of its own, shut down after


def test_a_failing_task_fails_the_call_and_the_pool_still_works(spawning):
    with kept_pools():
        with pytest.raises(ValueError, match="task 3 fails"):
            list(map_tasks(fail_on, list(range(6)), workers=2))
        assert list(map_tasks(fail_on, [0, 1, 2], workers=2)) == [0, 1, 2]


def test_one_task_or_one_worker_runs_in_this_process():
    import os

    assert list(map_tasks(worker_pid, [5], workers=2)) == [(5, os.getpid())]
    assert {pid for _, pid in map_tasks(worker_pid, [1, 2], workers=1)} == {os.getpid()}


def test_the_modules_a_spawned_worker_imports_leave_dagster_and_openai_out():
    """Every step spawns its workers afresh: an import there is paid per worker per step (Dagster's
    about 1.2 s), so the modules holding the workers' task functions must not pull it in."""
    import subprocess
    import sys

    worker_modules = ["curation_assets.engine.shard_stage", "curation_assets.engine.decided_stage",
                      "curation_assets.engine.export_files", "curation_assets.engine.shard_reports",
                      "curation_assets.engine.load_files", "curation_assets.core.split.split",
                      "curation_assets.core.dedup.batch", "curation_assets.core.clean.stage",
                      "curation_assets.core.decontaminate.decontaminate", "curation_assets.core.combine"]
    probe = "; ".join(f"import {module}" for module in worker_modules) + (
        "; import sys; print(sorted(name for name in ('dagster', 'openai') if name in sys.modules))")
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert found.strip() == "[]"
