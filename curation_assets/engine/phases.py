"""Seconds spent in each phase of a step (read, decide, apply, check, publish), for its metadata
and log: where a slow step's time goes is the first thing to know about it."""

from __future__ import annotations

import time
from typing import Callable


class PhaseClock:
    def __init__(self, log: Callable[[str], None] | None = None) -> None:
        self._log = log
        self._started = self._last = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def lap(self, phase: str) -> None:
        """``phase`` ended now."""
        now = time.perf_counter()
        self.seconds[phase] = round(self.seconds.get(phase, 0.0) + now - self._last, 2)
        self._last = now
        if self._log is not None:
            self._log(f"{phase}: {now - self._started:.1f} s into the step")
