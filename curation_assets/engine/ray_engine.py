"""Shard tasks as Ray tasks: the functions the local pool runs, on a Ray cluster.

One connection per process: a local cluster started for the run (``engine.ray.address`` empty), the
cluster this machine joined with ``ray start`` (``auto``), or a Ray client (``ray://host:10001``).
Tasks are submitted a window at a time (twice the cluster's task slots) and their results taken
in task order, as the local pool yields them. A task whose worker process or node dies is run
again by Ray (``max_retries``); each task writes only its own shard files, so a rerun replaces
what the dead one left. A cluster that vanishes (its GCS no longer answers) fails the stage within
``CLUSTER_LOST_SECONDS`` with ``RayClusterLostError``, before Ray's own watchdog would end the whole
process a minute later with a log line; the stage has published nothing, so every table keeps its
previous version. Ray is imported only here, and only when the backend is ray.
"""

from __future__ import annotations

import os
import socket
import time
from collections import deque
from typing import Any, Callable, Iterator, Sequence

from curation_assets.core.memory import freeze_startup_objects, return_free_memory
from curation_assets.engine.settings import RaySettings

_CONNECTED: dict[str, str] = {}  # "address": the cluster this process is connected to ("local": one it started)
CONNECT_TIMEOUT_SECONDS = 5.0
# How long the cluster's GCS may be unreachable, while a stage waits on its tasks, before the stage
# fails (Ray's watchdog ends the process after 60 s; a GCS restarting on its node takes seconds).
CLUSTER_LOST_SECONDS = 10.0
_WAIT_SECONDS = 1.0
SUBMITTED = {"tasks": 0}  # tasks this process sent to Ray (the tests see work reach the cluster by it)


class RayUnavailableError(RuntimeError):
    """The configured Ray cluster cannot be reached (or Ray is not installed)."""


class RayClusterLostError(RuntimeError):
    """The cluster stopped answering while a stage ran on it."""


def _ray():
    try:
        import ray
    except ImportError as error:
        raise RayUnavailableError("engine.backend is ray but Ray is not installed: pip install 'ray>=2.40'") from error
    return ray


def connect(settings: RaySettings) -> None:
    """Connect this process to the configured cluster (once; again when the address changes)."""
    ray = _ray()
    address = settings.address or "local"
    if ray.is_initialized() and _CONNECTED.get("address") == address:
        return
    disconnect()
    if settings.address and settings.address != "auto":
        _check_reachable(settings.address)
    try:
        if settings.address:
            ray.init(address=settings.address, log_to_driver=False)
        else:
            ray.init(num_cpus=settings.num_cpus or os.cpu_count() or 1,
                     object_store_memory=settings.object_store_mb * 1024 * 1024,
                     include_dashboard=False, log_to_driver=False)
    except (ConnectionError, TimeoutError, RuntimeError) as error:
        hint = (" The cluster uses token authentication: run with RAY_AUTH_MODE=token (the token is read from "
                "RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token)." if "InvalidAuthToken" in str(error) else "")
        raise RayUnavailableError(f"cannot reach the Ray cluster at {address!r}: {error}{hint}") from error
    _CONNECTED["address"] = address


def _reachable(address: str, timeout: float = CONNECT_TIMEOUT_SECONDS) -> OSError | ValueError | None:
    """Why a TCP connection to ``host:port`` fails, or None when it opens."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            return None
    except (OSError, ValueError) as error:
        return error


def _check_reachable(address: str) -> None:
    """Ray retries an unreachable address for minutes; a plain TCP connection tells in seconds."""
    error = _reachable(address)
    if error is not None:
        raise RayUnavailableError(
            f"cannot reach the Ray cluster at {address!r} (engine.ray.address): {error}. Start one with "
            "`ray start --head`, or leave engine.ray.address empty to start a local cluster for the run") from error


def disconnect() -> None:
    """Leave the cluster (a local one started for the run stops with it)."""
    if _CONNECTED:
        _CONNECTED.clear()
        _ray().shutdown()


class _ClusterWatch:
    """Tells a stage waiting on its tasks that the cluster's GCS has stopped answering."""

    def __init__(self, ray) -> None:
        self.address = ray.get_runtime_context().gcs_address
        self.lost_since: float | None = None

    def check(self) -> None:
        error = _reachable(self.address, timeout=_WAIT_SECONDS)
        if error is None:
            self.lost_since = None
            return
        now = time.monotonic()
        self.lost_since = self.lost_since or now
        if now - self.lost_since >= CLUSTER_LOST_SECONDS:
            address = _CONNECTED.get("address", "?")
            _CONNECTED.clear()  # nothing to leave: shutting down would wait on the dead GCS
            raise RayClusterLostError(
                f"the Ray cluster at {address!r} stopped answering mid-stage (its GCS at {self.address} "
                f"unreachable for {CLUSTER_LOST_SECONDS:.0f} s: {error}). This stage published nothing; every "
                "table keeps its previous version. Restart the cluster and run again.")


def _run_task(function: Callable, task: Any) -> Any:
    freeze_startup_objects()
    try:
        return function(task)
    finally:
        return_free_memory()  # Ray keeps its workers: hand back what the task freed


_REMOTE: dict[tuple[float, int], Any] = {}


def _remote(settings: RaySettings):
    key = (settings.task_cpus, settings.max_retries)
    if key not in _REMOTE:
        _REMOTE[key] = _ray().remote(num_cpus=settings.task_cpus, max_retries=settings.max_retries)(_run_task)
    return _REMOTE[key]


def map_ordered(function: Callable, tasks: Sequence[Any], settings: RaySettings) -> Iterator[Any]:
    """``function(task)`` for every task on the cluster, yielded in task order."""
    ray = _ray()
    connect(settings)
    remote = _remote(settings)
    slots = max(1, int(ray.cluster_resources().get("CPU", 1) / settings.task_cpus))
    watch = _ClusterWatch(ray)
    waiting = deque(tasks)
    running: deque = deque()
    try:
        while waiting or running:
            while waiting and len(running) < 2 * slots:
                running.append(remote.remote(function, waiting.popleft()))
                SUBMITTED["tasks"] += 1
            while not ray.wait([running[0]], timeout=_WAIT_SECONDS)[0]:
                watch.check()
            yield ray.get(running.popleft())
    finally:
        if _CONNECTED:  # a failed or abandoned stage leaves no task behind (a lost cluster has none)
            for reference in running:
                ray.cancel(reference, force=True)
