"""A step's phases: seconds and this process's peak memory in each, a phase's peak its own."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from curation_assets.engine.phases import PhaseClock, _reset_peak_rss


def test_each_phase_has_its_seconds_and_its_own_peak_memory():
    if not sys.platform.startswith("linux"):
        pytest.skip("peak RSS per phase is read from Linux's /proc")
    assert _reset_peak_rss()
    logged = []
    clock = PhaseClock(logged.append)
    time.sleep(0.05)
    clock.lap("quiet")
    block = np.ones(300 * 2**20 // 8)  # 300 MiB, touched
    del block
    clock.lap("large")
    clock.lap("after")
    assert clock.seconds["quiet"] >= 0.05
    assert clock.peak_rss_mib["large"] >= clock.peak_rss_mib["quiet"] + 250
    assert clock.peak_rss_mib["after"] < clock.peak_rss_mib["large"] - 250  # the window was reset
    assert logged[1].startswith("large:") and "MiB in the phase" in logged[1]
