"""Seconds spent in each phase of a step (read, decide, apply, check, publish), and the step
process's peak memory in each, for its metadata and log: where a slow or large step's time and
memory go is the first thing to know about it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from curation_assets.core.memory import return_free_memory

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _reset_peak_rss() -> bool:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM); False elsewhere."""
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mib() -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


class PhaseClock:
    def __init__(self, log: Callable[[str], None] | None = None) -> None:
        self._log = log
        self._started = self._last = time.perf_counter()
        self.seconds: dict[str, float] = {}
        # This process's peak resident memory in each phase (MiB), where the platform can tell.
        self.peak_rss_mib: dict[str, int] = {}
        self._measures_memory = _reset_peak_rss()

    def lap(self, phase: str) -> None:
        """``phase`` ended now."""
        now = time.perf_counter()
        self.seconds[phase] = round(self.seconds.get(phase, 0.0) + now - self._last, 2)
        self._last = now
        return_free_memory()  # what the phase freed, so the next phase's peak is its own
        peak = _peak_rss_mib() if self._measures_memory else None
        if peak is not None:
            self.peak_rss_mib[phase] = max(self.peak_rss_mib.get(phase, 0), peak)
            _reset_peak_rss()
        if self._log is not None:
            memory = f", peak {peak:,} MiB in the phase" if peak is not None else ""
            self._log(f"{phase}: {now - self._started:.1f} s into the step{memory}")
