"""Run generated Python code and its tests in a sandboxed subprocess.

What the sandbox does, and what it does not:
- a fresh ``python -I -B`` (no environment variables, no user site, no .pyc writes) in an empty
  temporary directory that is deleted afterwards, with an empty environment;
- limits set by the child itself before any generated code runs (safe with a threaded parent):
  address space (``RLIMIT_AS``), CPU seconds (``RLIMIT_CPU``), file size (``RLIMIT_FSIZE``, which
  also caps the captured output), open files, no core dumps; a wall-clock timeout kills the
  process group;
- no network: when this machine lets us (``unshare --net`` works, e.g. as root or with user
  namespaces), the child runs in a new network namespace with no interfaces; in addition, and as the
  only guard otherwise, ``socket.socket``, ``create_connection`` and ``getaddrinfo`` raise. Code that imports ``_socket``
  directly gets past that guard, so without a namespace the guarantee is "no accidental network".
It is not a security boundary against hostile code (no seccomp, no filesystem jail beyond the
working directory); it is a correctness check for model-written code on a developer machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache

from curation_assets.core.synthetic.json_reply import code_block

_OUTPUT_LIMIT_BYTES = 1 << 20
_BOOTSTRAP = """\
import resource, socket, sys, runpy
memory, cpu, output = {memory}, {cpu}, {output}
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
resource.setrlimit(resource.RLIMIT_FSIZE, (output, output))
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
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
    reason: str | None  # tests_failed, timeout, memory_exceeded, network_blocked, runtime_error, no_tests
    detail: str
    network_isolation: str


@lru_cache(maxsize=1)
def network_isolation() -> str:
    """'namespace' when ``unshare --net`` works here, else 'socket_blocked'."""
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


def run_tests(solution: str, tests: str, timeout_seconds: float, memory_mb: int) -> SandboxResult:
    isolation = network_isolation()
    if not tests.strip():
        return SandboxResult(False, "no_tests", "the record has no tests to run", isolation)
    program = code_block(solution).rstrip() + "\n\n\n" + tests.rstrip() + "\n"
    bootstrap = _BOOTSTRAP.format(memory=memory_mb << 20, cpu=max(1, int(timeout_seconds + 0.999)),
                                  output=_OUTPUT_LIMIT_BYTES)
    command = [sys.executable, "-I", "-B", "-c", bootstrap]
    if isolation.startswith("namespace:"):
        command = [shutil.which("unshare"), *isolation.split(":", 1)[1].split(), *command]
    with tempfile.TemporaryDirectory(prefix="curation-sandbox-") as folder:
        with open(os.path.join(folder, "program.py"), "w", encoding="utf-8") as handle:
            handle.write(program)
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
