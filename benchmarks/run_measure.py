"""Measure one `curation run` in a fresh folder. Shared by full_run.py and scale.py; not a script.

What a measurement holds, and how each number is taken:

- wall time: from starting ``python -m curation_assets.cli run`` to its exit (Dagster start-up,
  every step, every check and the exports included);
- CPU-seconds: user + sys of the whole process tree, from ``getrusage(RUSAGE_CHILDREN)`` before
  and after. Dagster runs each step in a process forked by a forkserver that nobody waits for,
  so this process makes itself a child subreaper (prctl): the orphans are re-parented here and
  reaped here, and their CPU time (and that of the steps they reaped) is counted;
- peak RSS of the largest single process and of the whole tree (the sum over every process of
  the tree at the same instant), sampled from /proc every 0.2 s by a thread of this process.
  ``ru_maxrss`` cannot give either: it misses the forkserver's children and never sums. The
  sum counts pages shared between processes (the forkserver's preloaded modules, copy-on-write)
  once per process, so it is an upper bound of what the tree really occupies;
- the load average (1, 5, 15 min) at start and at end: other work on the machine shows there;
- every step's start and duration, from the run's event log in its fresh Dagster instance.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ctypes
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_SECONDS = 0.2
ORPHAN_GRACE_SECONDS = 60  # how long to wait for processes the run left behind before reporting them
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MIB = 1024 * 1024
PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class ProcessStat:
    pid: int
    ppid: int
    started_ticks: int  # with pid, tells a process from a later one that reuses its pid
    cpu_ticks: int  # own user + sys, not its children's
    rss_bytes: int


@dataclass
class TreePeaks:
    largest_bytes: int = 0
    largest_command: str = ""
    tree_bytes: int = 0
    tree_processes: int = 0
    tree_at_seconds: float = 0.0  # when the tree's peak was sampled, after the sampler started
    tree_pss_bytes: int = 0  # the peak of the tree's proportional set size: shared pages split, not repeated
    most_processes: int = 0
    samples: int = 0
    cpu_ticks_seen: dict[tuple[int, int], int] = field(default_factory=dict)
    process_rss: dict[int, int] = field(default_factory=dict)  # peak resident bytes per pid
    parent: dict[int, int] = field(default_factory=dict)  # pid -> ppid, to tell which step a worker served
    helper: set[int] = field(default_factory=set)  # multiprocessing's resource trackers: not workers

    @property
    def sampled_cpu_seconds(self) -> float:
        """A lower bound: CPU spent after a process's last sample is not seen."""
        return sum(self.cpu_ticks_seen.values()) / CLOCK_TICKS


@dataclass(frozen=True)
class StepDuration:
    step_key: str
    status: str
    start_offset: float | None  # seconds after the Dagster run started
    seconds: float | None
    step_rss: int | None = None  # peak resident bytes of the step's own process
    worker_rss: int | None = None  # ... and of its largest worker process


_STEP_PROCESS = re.compile(r" - (\d+) - ([A-Za-z0-9_\[\]]+) - STEP_START - ")


def step_memory(log_text: str, peaks: TreePeaks) -> dict[str, tuple[int, int]]:
    """Per step key: the peak RSS of its process (the pid its STEP_START event names) and of its
    largest worker (a process whose parent chain reaches that pid)."""
    step_of = {int(pid): step for pid, step in _STEP_PROCESS.findall(log_text)}
    found: dict[str, tuple[int, int]] = {}
    for pid, rss in peaks.process_rss.items():
        if pid in peaks.helper:
            continue
        ancestor, hops = pid, 0
        while ancestor not in step_of and ancestor in peaks.parent and hops < 8:
            ancestor, hops = peaks.parent[ancestor], hops + 1
        if ancestor not in step_of:
            continue
        own, worker = found.get(step_of[ancestor], (0, 0))
        found[step_of[ancestor]] = (max(own, rss), worker) if pid == ancestor else (own, max(worker, rss))
    return found


@dataclass
class RunMeasurement:
    returncode: int
    wall_seconds: float
    user_seconds: float
    system_seconds: float
    peaks: TreePeaks
    load_start: tuple[float, float, float]
    load_end: tuple[float, float, float]
    steps: list[StepDuration]
    dagster_run_seconds: float | None
    leftover_pids: list[int]
    log_path: Path

    @property
    def cpu_seconds(self) -> float:
        return self.user_seconds + self.system_seconds


# --- the process tree, from /proc -----------------------------------------------------------------

def read_process_table() -> dict[int, ProcessStat]:
    """Every process of the machine. /proc/<pid>/task/*/children would be cheaper, but kernels built
    without CONFIG_PROC_CHILDREN (this one) do not have it; the ppid in /proc/<pid>/stat always is."""
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _read_stat(int(entry.name))
            if stat is not None:
                table[stat.pid] = stat
    return table


def _read_stat(pid: int) -> ProcessStat | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            data = file.read()
    except OSError:  # it exited between the listing and the read
        return None
    # The command name is in parentheses and may hold spaces: count fields after its closing one.
    fields = data[data.rindex(b")") + 2:].split()
    return ProcessStat(pid=pid, ppid=int(fields[1]), started_ticks=int(fields[19]),
                       cpu_ticks=int(fields[11]) + int(fields[12]), rss_bytes=int(fields[21]) * PAGE_BYTES)


def _pss_bytes(pid: int) -> int:
    """A process's proportional set size: each shared page divided among the processes sharing it
    (forked workers share their parent's pages, which a sum of RSS counts once per process)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as file:
            for line in file:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def descendants(table: dict[int, ProcessStat], root: int) -> list[ProcessStat]:
    children: dict[int, list[int]] = {}
    for stat in table.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    found, pending = [], list(children.get(root, []))
    while pending:
        pid = pending.pop()
        found.append(table[pid])
        pending.extend(children.get(pid, []))
    return found


def command_line(pid: int, limit: int = 100) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            text = file.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class TreeSampler(threading.Thread):
    """Samples the processes below ``root`` (not root itself) until stopped.

    A thread of the benchmark process is enough: the measured processes are separate programs, so it
    neither slows them through the GIL nor changes how they fork."""

    def __init__(self, root: int, interval: float = SAMPLE_SECONDS) -> None:
        super().__init__(daemon=True, name="tree-sampler")
        self.root = root
        self.interval = interval
        self.peaks = TreePeaks()
        self._stopped = threading.Event()

    def run(self) -> None:
        self.started = time.monotonic()
        self.sample()
        while not self._stopped.wait(self.interval):
            self.sample()

    def stop(self) -> TreePeaks:
        self._stopped.set()
        self.join()
        return self.peaks

    def sample(self) -> None:
        tree = descendants(read_process_table(), self.root)
        peaks = self.peaks
        peaks.samples += 1
        for stat in tree:
            key = (stat.pid, stat.started_ticks)
            peaks.cpu_ticks_seen[key] = max(peaks.cpu_ticks_seen.get(key, 0), stat.cpu_ticks)
            if stat.pid not in peaks.parent and "resource_tracker" in command_line(stat.pid, 200):
                peaks.helper.add(stat.pid)
            peaks.process_rss[stat.pid] = max(peaks.process_rss.get(stat.pid, 0), stat.rss_bytes)
            peaks.parent[stat.pid] = stat.ppid
        if not tree:
            return
        peaks.most_processes = max(peaks.most_processes, len(tree))
        total = sum(stat.rss_bytes for stat in tree)
        if total > peaks.tree_bytes:
            peaks.tree_bytes, peaks.tree_processes = total, len(tree)
            peaks.tree_at_seconds = time.monotonic() - self.started
        peaks.tree_pss_bytes = max(peaks.tree_pss_bytes, sum(_pss_bytes(stat.pid) for stat in tree))
        largest = max(tree, key=lambda stat: stat.rss_bytes)
        if largest.rss_bytes > peaks.largest_bytes:
            peaks.largest_bytes, peaks.largest_command = largest.rss_bytes, command_line(largest.pid)


# --- running the pipeline -------------------------------------------------------------------------

def become_subreaper() -> None:
    """Orphaned descendants (Dagster's forkserver and the steps it forked) are re-parented to this
    process instead of init: the sampler keeps seeing them and their CPU time can be reaped here."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def reap_orphans(grace_seconds: float = ORPHAN_GRACE_SECONDS) -> list[int]:
    """Wait for what the run left behind; the pids still alive after the grace period."""
    deadline = time.monotonic() + grace_seconds
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return []
        if pid == 0:
            if time.monotonic() > deadline:
                return [stat.pid for stat in descendants(read_process_table(), os.getpid())]
            time.sleep(0.05)


@contextlib.contextmanager
def fresh_folder(keep: bool, prefix: str = "curation-bench-") -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        if keep:
            print(f"kept for inspection: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def curation_env(folder: Path) -> dict[str, str]:
    """A fresh Dagster instance, warehouse and export folder inside ``folder``; the rest inherited
    (PYTHONPATH too, so the code of the checkout that runs the benchmark is the one measured)."""
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(folder / "dagster_home")
    env["CURATION_WAREHOUSE"] = str(folder / "warehouse.duckdb")
    env["CURATION_OUTPUT_DIR"] = str(folder / "exports")
    return env


def run_curation(config: Path, folder: Path) -> RunMeasurement:
    """``curation run --config config`` in a fresh process with ``folder`` as its working directory."""
    env = curation_env(folder)
    command = [sys.executable, "-m", "curation_assets.cli", "run", "--config", str(config)]
    log_path = folder / "run.log"
    become_subreaper()
    reap_orphans(0)  # children of earlier runs must not be counted in this one
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_start = os.getloadavg()
    sampler = TreeSampler(os.getpid())
    sampler.start()
    started = time.perf_counter()
    with log_path.open("w") as log:
        returncode = subprocess.run(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    wall = time.perf_counter() - started
    load_end = os.getloadavg()
    leftovers = reap_orphans()
    peaks = sampler.stop()
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    steps, run_seconds = read_step_durations(Path(env["DAGSTER_HOME"]))
    memory = step_memory(log_path.read_text(errors="replace"), peaks)
    steps = [dataclasses.replace(step, step_rss=memory.get(step.step_key, (None, None))[0] or None,
                                 worker_rss=memory.get(step.step_key, (None, None))[1] or None) for step in steps]
    return RunMeasurement(
        returncode=returncode, wall_seconds=wall,
        user_seconds=usage_after.ru_utime - usage_before.ru_utime,
        system_seconds=usage_after.ru_stime - usage_before.ru_stime,
        peaks=peaks, load_start=load_start, load_end=load_end, steps=steps,
        dagster_run_seconds=run_seconds, leftover_pids=leftovers, log_path=log_path,
    )


def read_step_durations(dagster_home: Path) -> tuple[list[StepDuration], float | None]:
    """Every step of the run, by start time, and the run's own duration, from its event log."""
    import dagster as dg  # imported late: a second or two, and only after the measured run

    if not (dagster_home / "dagster.yaml").exists():
        return [], None
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        records = instance.get_run_records(limit=1)  # newest first; a fresh instance holds this one run
        if not records:
            return [], None
        record = records[0]
        run_start = record.start_time
        run_seconds = record.end_time - record.start_time if record.start_time and record.end_time else None
        steps = [
            StepDuration(
                step_key=stats.step_key,
                status=stats.status.value if stats.status else "UNKNOWN",
                start_offset=stats.start_time - run_start if stats.start_time and run_start else None,
                seconds=stats.end_time - stats.start_time if stats.start_time and stats.end_time else None,
            )
            for stats in instance.get_run_step_stats(record.dagster_run.run_id)
        ]
    steps.sort(key=lambda step: (step.start_offset is None, step.start_offset or 0.0, step.step_key))
    return steps, run_seconds


def print_failure(measurement: RunMeasurement, tail_chars: int = 4000) -> None:
    print(f"curation run failed with exit code {measurement.returncode}; end of {measurement.log_path}:")
    print(measurement.log_path.read_text(errors="replace")[-tail_chars:])


# --- printing -------------------------------------------------------------------------------------

def print_measurement(measurement: RunMeasurement, records: int) -> None:
    m, peaks = measurement, measurement.peaks
    print(f"wall time:         {m.wall_seconds:.1f} s  ({records / m.wall_seconds:,.0f} records/s end to end, "
          f"{records:,} records, incl. Dagster start-up)")
    if m.dagster_run_seconds is not None:
        print(f"  of which the Dagster run: {m.dagster_run_seconds:.1f} s (the rest: the CLI's imports, "
              f"partition registration and summary)")
    print(f"CPU-seconds:       {m.cpu_seconds:.1f}  (user {m.user_seconds:.1f} + sys {m.system_seconds:.1f}, whole "
          f"process tree; {m.cpu_seconds / m.wall_seconds:.2f} cores busy on average; sampled: >= "
          f"{peaks.sampled_cpu_seconds:.1f})")
    print(f"peak RSS, largest process: {peaks.largest_bytes / MIB:,.0f} MiB  ({peaks.largest_command})")
    print(f"peak RSS, whole tree:      {peaks.tree_bytes / MIB:,.0f} MiB  (sum over {peaks.tree_processes} processes "
          f"at one instant, shared pages counted once per process; up to {peaks.most_processes} processes; "
          f"{peaks.samples} samples every {SAMPLE_SECONDS} s; at {peaks.tree_at_seconds:.0f} s)")
    print(f"peak PSS, whole tree:      {peaks.tree_pss_bytes / MIB:,.0f} MiB  (shared pages divided among the "
          f"processes sharing them: what the tree really occupies)")
    print(f"load average:      start {_load(m.load_start)}   end {_load(m.load_end)}   (1/5/15 min, "
          f"{os.cpu_count()} cores)")
    if m.leftover_pids:
        print(f"warning: still running {ORPHAN_GRACE_SECONDS} s after the run, not counted: {m.leftover_pids}")
    print_steps(m.steps)


def print_steps(steps: list[StepDuration]) -> None:
    print(f"steps ({len(steps)}, by start; start is seconds after the Dagster run started; peak RSS of the "
          f"step's process and of its largest worker):")
    for step in steps:
        print(f"  {step.step_key:<36} start {_seconds(step.start_offset):>7}  took {_seconds(step.seconds):>7}  "
              f"rss {_mib(step.step_rss):>9} / {_mib(step.worker_rss):>9}  {step.status}")
    timed = sorted((step for step in steps if step.seconds is not None), key=lambda step: -step.seconds)
    print("slowest steps:     " + ", ".join(f"{step.step_key} {step.seconds:.1f} s" for step in timed[:3]))


def _load(load: tuple[float, float, float]) -> str:
    return "/".join(f"{value:.2f}" for value in load)


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / MIB:,.0f} MiB"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"
