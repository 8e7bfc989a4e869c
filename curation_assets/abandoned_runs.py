"""Runs whose ``curation`` process died (SIGKILL, a lost machine) are marked failed by the next one.

A process killed outright cannot report its own end, so Dagster would show its run as started
forever, and a user (or a sensor) would wait on it. Each run is tagged with the host and pid of the
process that executes it; before starting, ``curation run`` fails every started run of this host
whose process is gone (or is now another program: pids are reused).
"""

from __future__ import annotations

import os
import socket

from curation_assets.engine.process_ties import alive

HOST_TAG = "curation/host"
PID_TAG = "curation/pid"


def run_owner_tags() -> dict[str, str]:
    """The tags that name this process as the one executing a run."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _running_curation(pid: int) -> bool:
    if not alive(pid):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return b"curation" in file.read()
    except OSError:
        return False


def fail_abandoned_runs(instance) -> list[str]:
    """Mark failed the started runs of this host whose executing process is gone; their run ids."""
    import dagster as dg

    started = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=started, tags={HOST_TAG: socket.gethostname()}))
    failed = []
    for record in records:
        run = record.dagster_run
        pid = int(run.tags.get(PID_TAG, "0") or 0)
        if pid <= 0 or pid == os.getpid() or _running_curation(pid):
            continue
        instance.report_run_failed(run, f"the curation process that ran it (pid {pid}) ended without finishing "
                                        "it (killed?); marked failed by the next run")
        failed.append(run.run_id)
    return failed
