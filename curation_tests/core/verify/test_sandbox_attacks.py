"""Hostile model-written code under the bubblewrap sandbox: each attack fails inside the sandbox
(its tests pass only when the attack did not work), and nothing of it is left on this machine."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from curation_assets.core.verify.sandbox import bwrap_problem, run_tests

LIMITS = dict(timeout_seconds=10, memory_mb=256)

@pytest.fixture(autouse=True)
def bubblewrap_works():
    # bubblewrap is a requirement (README, .ci/run): a machine without it fails here rather than skipping.
    assert bwrap_problem() is None, f"bubblewrap cannot run the sandbox here: {bwrap_problem()}"


def _sandbox_processes() -> list[int]:
    """Processes on this machine running a sandboxed program (the bootstrap's last line)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b'runpy.run_path("program.py"' in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def _attack(code: str) -> None:
    """Run ``code`` (whose asserts hold only if the attack failed) and require a pass."""
    result = run_tests(code, "assert attack_failed()\n", **LIMITS)
    assert result.passed, result.detail
    assert result.isolation == "bwrap"


def test_the_parents_environment_and_its_secret_are_out_of_reach():
    # /proc/<pid>/environ shows the environment a process started with: a process holding the key
    # from its start, as the pipeline's processes do.
    holder = subprocess.Popen(["sleep", "30"], env={"OPENAI_API_KEY": "sk-test-" + os.urandom(8).hex()})
    code = f"""
import glob, os
def attack_failed():
    seen = []
    for path in glob.glob('/proc/*/environ') + ['/proc/%d/environ' % os.getppid(), '/proc/{os.getpid()}/environ']:
        try:
            seen.append(open(path, 'rb').read())
        except OSError:
            pass
    assert not any(b'sk-test-' in text for text in seen), seen
    assert 'OPENAI_API_KEY' not in os.environ
    return True
"""
    try:
        _attack(code)
    finally:
        holder.kill()
        holder.wait()


def test_system_files_and_another_warehouse_cannot_be_read(tmp_path):
    warehouse = tmp_path / "other" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    warehouse.write_bytes(b"private rows")
    code = f"""
import os
def attack_failed():
    for path in ('/etc/passwd', '/etc/shadow', {str(warehouse)!r}, '/root', {str(Path.home())!r} + '/.bashrc'):
        try:
            open(path, 'rb').read()
        except OSError:
            continue
        raise AssertionError('read ' + path)
    assert os.getuid() == 65534
    return True
"""
    _attack(code)


def test_writes_never_reach_this_machines_disk(tmp_path):
    escaped = tmp_path / "escaped.txt"
    code = f"""
import os
def attack_failed():
    for path in ({str(escaped)!r}, '/usr/escaped.txt'):
        try:
            with open(path, 'w') as handle:
                handle.write('x')
        except OSError:
            pass
    with open('/tmp/scratch.txt', 'w') as handle:  # its own tmpfs: allowed, and gone afterwards
        handle.write('x' * 1000)
    return True
"""
    _attack(code)
    assert not escaped.exists() and not Path("/usr/escaped.txt").exists()


def test_a_fork_bomb_is_stopped_at_the_process_limit_and_leaves_no_process():
    code = """
import os, time
def attack_failed():
    children = 0
    try:
        for _ in range(2000):
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            children += 1
    except OSError:
        pass
    assert children < 64, children
    return True
"""
    _attack(code)
    time.sleep(0.3)
    assert _sandbox_processes() == []


def test_a_daemonized_child_does_not_outlive_the_call():
    code = """
import os, time
def attack_failed():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(60)
        os._exit(0)
    time.sleep(0.2)
    return True
"""
    _attack(code)
    time.sleep(0.3)
    assert _sandbox_processes() == []


def test_sockets_reach_nothing_even_past_the_python_guard(tmp_path):
    unix_path = str(tmp_path / "host.sock")
    unix_server = socket.socket(socket.AF_UNIX)
    unix_server.bind(unix_path)
    unix_server.listen()
    tcp_server = socket.create_server(("127.0.0.1", 0))
    port = tcp_server.getsockname()[1]
    code = f"""
import _socket
def attack_failed():
    for family, address in ((_socket.AF_UNIX, {unix_path!r}), (_socket.AF_INET, ('127.0.0.1', {port}))):
        connection = _socket.socket(family, _socket.SOCK_STREAM)
        try:
            connection.connect(address)
        except OSError:
            continue
        raise AssertionError('connected to ' + repr(address))
    return True
"""
    try:
        _attack(code)
    finally:
        unix_server.close()
        tcp_server.close()


def test_the_caller_cannot_be_killed_from_inside():
    code = f"""
import os, signal
def attack_failed():
    for pid in (os.getppid(), {os.getpid()}, 1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return True
"""
    run_tests(code, "assert attack_failed()\n", **LIMITS)
    assert os.getpid() > 0  # still here


def test_without_bubblewrap_code_verification_fails_closed(monkeypatch):
    monkeypatch.setattr("curation_assets.core.verify.sandbox.bwrap_problem", lambda: "bwrap is not installed")
    result = run_tests("def f():\n    return 1\n", "assert f() == 1\n", **LIMITS)
    assert (result.passed, result.reason) == (False, "sandbox_unavailable")
    assert "apt-get install bubblewrap" in result.detail and "verify.code_sandbox: unsandboxed" in result.detail
    assert run_tests("def f():\n    return 1\n", "assert f() == 1\n", mode="unsandboxed", **LIMITS).passed
