"""One code verification, timed: the bubblewrap sandbox against the unsandboxed mode (rlimits only).

    python benchmarks/sandbox.py [--runs 20]

Prints milliseconds per verification (a passing solution and its asserts) for each mode, so the
price of the sandbox is on record next to what it buys (core/verify/sandbox.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from curation_assets.core.verify.sandbox import bwrap_problem, run_tests

SOLUTION = "def add(a, b):\n    return a + b\n"
TESTS = "assert add(1, 2) == 3\nassert add(-1, 1) == 0\n"


def timed(mode: str, runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        result = run_tests(SOLUTION, TESTS, timeout_seconds=10, memory_mb=512, mode=mode)
        seconds.append(time.perf_counter() - started)
        assert result.passed, result.detail
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    arguments = parser.parse_args()
    problem = bwrap_problem()
    modes = ["unsandboxed"] + (["bwrap"] if problem is None else [])
    if problem is not None:
        print(f"bwrap unavailable here: {problem}")
    for mode in modes:
        seconds = timed(mode, arguments.runs)
        print(f"{mode:<12} median {statistics.median(seconds) * 1000:6.1f} ms, "
              f"max {max(seconds) * 1000:6.1f} ms per verification ({arguments.runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
