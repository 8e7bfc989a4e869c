"""Run model-written Python code and its tests in a sandbox: bubblewrap namespaces plus rlimits.

The default (``verify.code_sandbox: bwrap``) runs the code under bubblewrap (``bwrap``, Debian's
``bubblewrap``), a well-kept isolation tool, with
- new user, PID, IPC, UTS, cgroup, network and mount namespaces (``--unshare-all``): the code sees
  only its own processes (not this one's ``/proc/<pid>/environ``), has no network interface and
  no other process's sockets, and runs as uid 65534 with every capability dropped;
- a filesystem of only what Python needs, read-only (``/usr``, the interpreter's prefix and
  virtual environment), a fresh ``/proc`` and ``/dev``, and private tmpfs ``/tmp`` and ``/sandbox``
  (the working directory, holding the program): no ``/etc/passwd``, no warehouse, no home, and
  nothing written reaches this machine's disk;
- ``--die-with-parent`` and ``--new-session``: the namespace's processes end with the call (a
  daemonized child included), and the code cannot reach this process's terminal;
- a process-count limit from a ``pids`` cgroup where this machine lets us create one (root, or a
  delegated cgroup); elsewhere from ``RLIMIT_NPROC``, which binds every user but root;
- limits the child sets itself before any generated code runs: address space, CPU seconds, file
  size (which also caps the captured output), open files, no core dumps; a wall-clock timeout
  kills the whole tree; an empty environment.

When bwrap cannot start here, code verification fails closed (reason ``sandbox_unavailable``, with
the fix); ``verify.code_sandbox: unsandboxed`` explicitly allows the weaker mode: the same
rlimits, a network namespace when ``unshare --net`` works, and Python-level socket guards, but
the code runs as this user, with this user's files.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from curation_assets.core.secrets import redact_secrets
from curation_assets.core.synthetic.json_reply import code_block

_OUTPUT_LIMIT_BYTES = 1 << 20
SANDBOX_DIR = "/sandbox"
NOBODY = "65534"
_BOOTSTRAP = """\
import resource, socket, sys, runpy
memory, cpu, output, processes = {memory}, {cpu}, {output}, {processes}
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
if processes:
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
def _no_network(*args, **kwargs):
    raise OSError("network access is disabled in the sandbox")
class _NoNetworkSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        _no_network()
socket.socket = _NoNetworkSocket
socket.create_connection = socket.getaddrinfo = socket.socketpair = _no_network
sys.argv = ["program.py"]
runpy.run_path("program.py", run_name="__main__")
"""


@dataclass(frozen=True)
class SandboxResult:
    passed: bool
    # tests_failed, timeout, memory_exceeded, network_blocked, runtime_error, no_tests, sandbox_unavailable
    reason: str | None
    detail: str
    isolation: str  # bwrap, or the unsandboxed mode's network isolation


def _read_only_roots() -> list[str]:
    """What the interpreter needs, beside /usr: its prefix and the virtual environment, if elsewhere."""
    roots = []
    for path in (sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parent.parent)):
        path = os.path.realpath(path)
        if not path.startswith("/usr/") and path not in roots:
            roots.append(path)
    return roots


def bwrap_command(program_file: str, inner: list[str]) -> list[str]:
    """``inner`` run under bubblewrap with ``program_file`` as ``/sandbox/program.py``."""
    command = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
               "--cap-drop", "ALL", "--uid", NOBODY, "--gid", NOBODY, "--hostname", "sandbox",
               "--ro-bind", "/usr", "/usr"]
    for top in ("lib", "lib64", "lib32", "bin", "sbin"):
        host = f"/{top}"
        if os.path.islink(host):
            command += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            command += ["--ro-bind", host, host]
    # The private /tmp first: an interpreter or virtual environment under /tmp is bound on top of it.
    command += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for root in _read_only_roots():
        command += ["--ro-bind", root, root]
    command += ["--tmpfs", SANDBOX_DIR, "--ro-bind", program_file, f"{SANDBOX_DIR}/program.py", "--chdir", SANDBOX_DIR]
    return command + inner


@lru_cache(maxsize=1)
def bwrap_problem() -> str | None:
    """Why bubblewrap cannot run the interpreter here, or None when it can."""
    if shutil.which("bwrap") is None:
        return "bwrap is not installed"
    with tempfile.NamedTemporaryFile("w", suffix=".py") as probe:
        probe.write("pass\n")
        probe.flush()
        try:
            result = subprocess.run(bwrap_command(probe.name, [sys.executable, "-I", "-B", "program.py"]),
                                    env={}, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bwrap did not start: {error}"
    if result.returncode != 0:
        return f"bwrap failed ({result.returncode}): {result.stderr.strip()[-300:]}"
    return None


@lru_cache(maxsize=1)
def network_isolation() -> str:
    """The unsandboxed mode's: 'namespace' when ``unshare --net`` works here, else 'socket_blocked'."""
    unshare = shutil.which("unshare")
    if unshare:
        for flags in (["--net"], ["--user", "--map-root-user", "--net"]):
            try:
                probe = subprocess.run([unshare, *flags, "true"], capture_output=True, timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if probe.returncode == 0:
                return "namespace:" + " ".join(flags)
    return "socket_blocked"


def _pids_cgroup_root() -> Path | None:
    """A cgroup folder where this process may create a child with a ``pids.max`` (v1 or v2)."""
    for root in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
        if (root / "cgroup.procs").exists() and os.access(root, os.W_OK) and (
                root.name == "pids" or "pids" in _read(root / "cgroup.subtree_control")):
            return root
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


@contextmanager
def pids_cgroup(limit: int) -> Iterator[Path | None]:
    """A fresh cgroup allowing ``limit`` processes (its ``cgroup.procs`` file), or None where none can
    be made; removed afterwards, killing anything left in it."""
    root = _pids_cgroup_root()
    group = None
    if root is not None:
        try:
            group = root / f"curation-sandbox-{uuid.uuid4().hex[:12]}"
            group.mkdir()
            (group / "pids.max").write_text(str(limit))
        except OSError:
            if group is not None and group.exists():
                group.rmdir()
            group = None
    try:
        yield None if group is None else group / "cgroup.procs"
    finally:
        if group is not None:
            for _ in range(100):
                left = [int(pid) for pid in _read(group / "cgroup.procs").split()]
                for pid in left:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    group.rmdir()
                    break
                except OSError:
                    time.sleep(0.01)


def run_tests(solution: str, tests: str, timeout_seconds: float, memory_mb: int, mode: str = "bwrap",
              max_processes: int = 32) -> SandboxResult:
    """Run ``solution`` then ``tests`` (asserts) as one program; passed when it exits 0."""
    if mode == "bwrap":
        problem = bwrap_problem()
        if problem is not None:
            return SandboxResult(False, "sandbox_unavailable",
                                 f"{problem}: model-written code is not run unsandboxed. Install bubblewrap "
                                 "(apt-get install bubblewrap) or set verify.code_sandbox: unsandboxed to accept "
                                 "the weaker mode", "none")
        isolation = "bwrap"
    else:
        isolation = network_isolation()
    if not tests.strip():
        return SandboxResult(False, "no_tests", "the record has no tests to run", isolation)
    program = code_block(solution).rstrip() + "\n\n\n" + tests.rstrip() + "\n"
    with tempfile.TemporaryDirectory(prefix="curation-sandbox-") as folder, pids_cgroup(max_processes) as procs:
        program_file = os.path.join(folder, "program.py")
        with open(program_file, "w", encoding="utf-8") as handle:
            handle.write(program)
        # Where a cgroup counts the processes, RLIMIT_NPROC is left alone (it would count root's all).
        bootstrap = _BOOTSTRAP.format(memory=memory_mb << 20, cpu=max(1, int(timeout_seconds + 0.999)),
                                      output=_OUTPUT_LIMIT_BYTES, processes=0 if procs else max_processes)
        inner = [sys.executable, "-I", "-B", "-c", bootstrap]
        if mode == "bwrap":
            command = bwrap_command(program_file, inner)
        elif isolation.startswith("namespace:"):
            command = [shutil.which("unshare"), *isolation.split(":", 1)[1].split(), *inner]
        else:
            command = inner
        if procs is not None:  # the shell joins the cgroup, then becomes the sandbox: no fork escapes it
            command = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(procs), *command]
        output_path = os.path.join(folder, "output.txt")
        with open(output_path, "wb") as output:
            process = subprocess.Popen(command, cwd=folder, env={}, stdin=subprocess.DEVNULL, stdout=output,
                                       stderr=subprocess.STDOUT, process_group=0)
            try:
                returncode = process.wait(timeout=timeout_seconds)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return SandboxResult(False, "timeout", f"still running after {timeout_seconds:g} s", isolation)
        with open(output_path, "rb") as handle:
            text = handle.read(_OUTPUT_LIMIT_BYTES).decode("utf-8", errors="replace")
    # What the code printed goes into repair prompts (and from there to the LLM and its cache) and
    # rejection details: whatever secret it found is replaced as it leaves the sandbox.
    text = redact_secrets([text])[0]
    if returncode == 0:
        return SandboxResult(True, None, "", isolation)
    return SandboxResult(False, *_classify(returncode, text), isolation)


def _classify(returncode: int, output: str) -> tuple[str, str]:
    tail = output.strip().splitlines()[-6:]
    summary = " | ".join(tail)[-600:]
    if returncode < 0:
        name = signal.Signals(-returncode).name
        if -returncode in (signal.SIGXCPU, signal.SIGKILL):
            return "timeout", f"killed by {name} (CPU limit)"
        return "runtime_error", f"killed by {name}"
    if "network access is disabled in the sandbox" in output or "Network is unreachable" in output:
        return "network_blocked", summary
    if "MemoryError" in output:
        return "memory_exceeded", summary
    if "AssertionError" in output:
        return "tests_failed", summary
    return "runtime_error", summary
