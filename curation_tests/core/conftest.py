"""Shared fixtures for the pure-core tests: the public datasets' folder and a record-frame builder."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from curation_assets.core.records import as_records

SHARED_DATA_ENV = "CURATION_SHARED_DATA"


def shared_data_dir() -> Path:
    """The public datasets beside the repo (``<repo>/../shared/data``), or ``$CURATION_SHARED_DATA``."""
    configured = os.environ.get(SHARED_DATA_ENV)
    return Path(configured) if configured else Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    folder = shared_data_dir()
    # A missing folder is a broken test environment, not a reason to pass quietly.
    assert folder.is_dir(), f"shared datasets not found at {folder}; set {SHARED_DATA_ENV}"
    return folder


def _record(index: int, **overrides) -> dict:
    source = overrides.get("source", "alpha")
    position = overrides.get("source_position", index)
    row = {
        "record_id": f"{index:020x}",
        "source": source,
        "source_position": position,
        "instruction": f"Instruction number {index}",
        "input": "",
        "response": f"Response number {index}",
        "kind": "real",
        "lineage": json.dumps({"source": source, "position": position}, sort_keys=True),
    }
    row.update(overrides)
    return row


@pytest.fixture
def make_records() -> Callable[..., pd.DataFrame]:
    """``make_records(dict(...), dict(...))``: one record per dict, defaults filled, index = 0.. in order.

    The record id is the 20-hex-digit form of the row's ``index`` key (default: its place in the list).
    """

    def build(*rows: dict) -> pd.DataFrame:
        built = []
        for place, overrides in enumerate(rows):
            overrides = dict(overrides)
            index = overrides.pop("index", place)
            built.append(_record(index, **overrides))
        return as_records(pd.DataFrame(built))

    return build
