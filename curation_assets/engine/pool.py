"""A pool of worker processes that runs one function over many tasks, results in task order.

Workers fork when this process runs a single Python thread (start-up in milliseconds) and spawn
otherwise, as in a Dagster step, where forking beside other threads risks inheriting a held lock.
A spawned worker imports what the task function needs (about two seconds), so work goes to the
pool only when there is more than one task; one task runs in this process, through the same code.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterator, Sequence, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")


def worker_count(configured: int) -> int:
    return configured if configured > 0 else (os.cpu_count() or 1)


def workers_for(configured: int, records: int, parallel_min_records: int) -> int:
    """Workers for a table of ``records``: one (the step's own process) below the threshold, where
    starting workers would cost more than it saves."""
    return configured if records >= parallel_min_records else 1


def _context():
    forkable = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if forkable else "spawn")


def map_tasks(function: Callable[[Task], Result], tasks: Sequence[Task], workers: int) -> Iterator[Result]:
    """``function(task)`` for every task, yielded in task order as they finish in order.

    ``function`` and the tasks must be picklable (a module-level function and plain data) when
    the pool spawns.
    """
    workers = min(worker_count(workers), len(tasks))
    if workers <= 1:
        yield from map(function, tasks)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        yield from pool.map(function, tasks)
