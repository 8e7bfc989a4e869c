"""A pool of worker processes that runs one function over many tasks, results in task order.

Workers fork when this process runs a single Python thread (start-up in milliseconds) and spawn
otherwise, as in a Dagster step, where forking beside other threads risks inheriting a held lock.
A spawned worker imports what its tasks need (pandas, pyarrow, Great Expectations: seconds), so
inside ``kept_pools()`` (a step's scope) the pool is started once and serves every later call: a
step that maps twice (dedup signs, then applies) pays the start-up once. Workers never outlive
the scope: a step process whose workers live on does not end (they hold its captured output).
Work goes to the pool only when there is more than one task; one task runs in this process,
through the same code.

Within ``using_engine(engine)`` (a run's or a step's scope, entered by the Dagster engine resource)
with ``engine.backend: ray``, the same tasks go to a Ray cluster instead (``ray_engine.py``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterator, Sequence, TypeVar

from curation_assets.core.memory import freeze_startup_objects, return_free_memory
from curation_assets.engine.process_ties import end_with_run
from curation_assets.engine.settings import EngineConfig

Task = TypeVar("Task")
Result = TypeVar("Result")

_POOLS: dict[tuple[int, int, str], ProcessPoolExecutor] = {}  # (this process, workers, start method)
_POOLS_LOCK = threading.Lock()
_SCOPES = 0  # open kept_pools() scopes
_ENGINES: list[EngineConfig] = []  # open using_engine() scopes, innermost last


@contextmanager
def using_engine(engine: EngineConfig) -> Iterator[None]:
    """Within this scope, ``map_tasks`` sends work where ``engine`` says (a Ray backend connects first,
    so an unreachable cluster fails here, before any work)."""
    if engine.backend == "ray":
        from curation_assets.engine import ray_engine

        ray_engine.connect(engine.ray)
    _ENGINES.append(engine)
    try:
        yield
    finally:
        _ENGINES.remove(engine)
        if engine.backend == "ray" and not any(open_.backend == "ray" for open_ in _ENGINES):
            from curation_assets.engine import ray_engine

            ray_engine.disconnect()


@contextmanager
def kept_pools() -> Iterator[None]:
    """Within this scope, spawned pools are kept for later calls; they are shut down when it ends."""
    global _SCOPES
    with _POOLS_LOCK:
        _SCOPES += 1
    try:
        yield
    finally:
        with _POOLS_LOCK:
            _SCOPES -= 1
            closing = list(_POOLS.values()) if _SCOPES == 0 else []
            if closing:
                _POOLS.clear()
        for pool in closing:
            pool.shutdown(wait=True)


def worker_count(configured: int) -> int:
    return configured if configured > 0 else (os.cpu_count() or 1)


def workers_for(configured: int, records: int, parallel_min_records: int) -> int:
    """Workers for a table of ``records``: one (the step's own process) below the threshold, where
    starting workers would cost more than it saves."""
    return configured if records >= parallel_min_records else 1


def _start_method() -> str:
    forkable = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    return "fork" if forkable else "spawn"


def _pool(workers: int, tasks: int) -> tuple[ProcessPoolExecutor, bool]:
    """A pool for ``tasks`` tasks, and whether it is kept: inside ``kept_pools()`` this process's
    pool of ``workers``, else a new one of at most one worker per task (a forked pool is never kept:
    its workers hold the memory of the moment they were forked)."""
    method = _start_method()
    context = multiprocessing.get_context(method)
    if method == "fork" or _SCOPES == 0:
        return ProcessPoolExecutor(max_workers=min(workers, tasks), mp_context=context,
                                   initializer=end_with_run), False
    key = (os.getpid(), workers, method)
    with _POOLS_LOCK:
        if key not in _POOLS:
            # A spawned pool starts its workers as tasks need them: fewer tasks, fewer processes.
            _POOLS[key] = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=end_with_run)
        return _POOLS[key], True


class _FreeingAfter:
    """``function``, after which the worker hands back what the task freed: a kept worker would
    otherwise stay as large as its largest task."""

    def __init__(self, function: Callable) -> None:
        self.function = function

    def __call__(self, task):
        freeze_startup_objects()
        try:
            return self.function(task)
        finally:
            return_free_memory()


def _discard(pool: ProcessPoolExecutor) -> None:
    with _POOLS_LOCK:
        for key, kept in list(_POOLS.items()):
            if kept is pool:
                del _POOLS[key]
    pool.shutdown(wait=False, cancel_futures=True)


def map_tasks(function: Callable[[Task], Result], tasks: Sequence[Task], workers: int) -> Iterator[Result]:
    """``function(task)`` for every task, yielded in task order as they finish in order.

    ``function`` and the tasks must be picklable (a module-level function and plain data) when
    the pool spawns.
    """
    workers = worker_count(workers)
    if workers <= 1 or len(tasks) <= 1:
        yield from map(function, tasks)
        return
    if _ENGINES and _ENGINES[-1].backend == "ray":
        from curation_assets.engine import ray_engine

        yield from ray_engine.map_ordered(function, tasks, _ENGINES[-1].ray)
        return
    pool, kept = _pool(workers, len(tasks))
    try:
        yield from pool.map(_FreeingAfter(function), tasks)
    except BrokenProcessPool:
        _discard(pool)  # a worker died (killed, out of memory): the next call starts a new pool
        raise
    finally:
        if not kept:
            pool.shutdown(wait=True)
