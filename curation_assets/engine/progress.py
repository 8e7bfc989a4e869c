"""A progress bar on the terminal for a long part of a step (records done / total, rate, ETA).

``curation run`` turns bars on for its steps (``CURATION_PROGRESS=1`` in the environment the step
processes inherit) unless ``--verbose``; elsewhere (the Dagster UI, tests, ``dagster dev``) they
are off and cost nothing. Bars are drawn by tqdm on standard error: redrawn in place on a
terminal and erased when done (the step's result line follows), or, on a pipe or a log file, a
plain line every ``LOG_INTERVAL_SECONDS`` and a last one at the end.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

PROGRESS_ENV = "CURATION_PROGRESS"
LOG_INTERVAL_SECONDS = 10.0


def bars_enabled() -> bool:
    return os.environ.get(PROGRESS_ENV) == "1"


class StepProgress:
    """``with StepProgress("cleaned", total=records) as progress: ... progress.advance(n)``."""

    def __init__(self, label: str, total: int, unit: str = "records") -> None:
        self._label, self._total, self._unit = f"  {label}", total, unit
        self._scaled = unit in ("records", "B")  # 12.3k records, 45.6MB; shards and partitions count plainly
        self._bar = None
        self._done = 0
        self._started = self._logged = time.monotonic()
        self._enabled = bars_enabled() and total > 0
        if self._enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self._label, unit=unit, unit_scale=self._scaled, file=sys.stderr,
                             leave=False, dynamic_ncols=True, mininterval=0.2)

    def advance(self, amount: int) -> None:
        self._done += amount
        if self._bar is not None:
            self._bar.update(amount)
        elif self._enabled and time.monotonic() - self._logged >= LOG_INTERVAL_SECONDS:
            self._log_line()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._enabled:
            self._log_line()
            self._enabled = False

    def _log_line(self) -> None:
        """Not on a terminal: one plain line (tqdm's format), no carriage returns."""
        from tqdm import tqdm

        self._logged = time.monotonic()
        line = tqdm.format_meter(self._done, self._total, self._logged - self._started, prefix=self._label,
                                 unit=self._unit, unit_scale=self._scaled, ascii=True, ncols=100)
        print(line, file=sys.stderr, flush=True)

    def __enter__(self) -> "StepProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def tracked(results: Iterable[T], label: str, total: int, unit: str) -> Iterator[T]:
    """``results`` as they come, each counted as one ``unit`` on a bar."""
    with StepProgress(label, total, unit) as progress:
        for result in results:
            progress.advance(1)
            yield result
