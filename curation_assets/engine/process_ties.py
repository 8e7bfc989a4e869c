"""The processes a ``curation run`` starts end with it, even when it is killed outright.

``curation run`` marks itself (``CURATION_RUN_PID`` in its environment, which every process it
starts inherits). A step process of Dagster's multiprocess executor and a worker of the local pool
each start a watchdog thread that ends the process within ``WATCH_SECONDS`` of the run process's
death. The kernel's parent-death signal is not enough: a step's parent is multiprocessing's
forkserver, which outlives a killed run by many seconds (measured: 9-11 s of steps running on).
Processes of runs launched from ``dagster dev`` are not marked, so their lifetime is Dagster's.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator

RUN_PID_ENV = "CURATION_RUN_PID"
WATCH_SECONDS = 0.25
_WATCHED: set[int] = set()  # processes whose watchdog runs (a forked child has none: its pid differs)


@contextmanager
def run_process_mark() -> Iterator[None]:
    """Around ``curation run``'s work in its own process: the processes it starts meanwhile are tied."""
    before = os.environ.get(RUN_PID_ENV)
    os.environ[RUN_PID_ENV] = str(os.getpid())
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(RUN_PID_ENV, None)
        else:
            os.environ[RUN_PID_ENV] = before


def end_with_run() -> None:
    """In a process a marked run started: end when the run process does."""
    pid = os.getpid()
    marked = os.environ.get(RUN_PID_ENV, "")
    if not marked.isdigit() or int(marked) == pid or pid in _WATCHED:
        return
    _WATCHED.add(pid)
    threading.Thread(target=_watch, args=(int(marked),), name="curation-run-watchdog", daemon=True).start()


def _watch(run_pid: int) -> None:
    while alive(run_pid):
        time.sleep(WATCH_SECONDS)
    os._exit(1)  # the run is gone: nothing this process writes would be published or read


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, killed and not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:  # a killed run not yet reaped is a zombie
            return file.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False
