"""Fixtures shared by every test: the demo materialized once, the public datasets, a record-frame builder,
a per-test warehouse folder.

Layout: ``core/<stage>/`` mirrors ``curation_assets/core/<stage>/`` (pure logic, fast), ``checks/``,
``storage/`` and ``llm/`` mirror their packages, and the Dagster-level tests (whole graphs, the CLI,
the daemon, the UI) sit at the top. See README.md here for the markers and the inner loop.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import dagster as dg
import pandas as pd
import pytest

from curation_assets.core.records import as_records
from support import DEMO_CONFIG, SHARED_CONFIG, SHARED_DATA, materialize_config


def _materialize_once(tmp_path_factory, config: Path, name: str) -> tuple[dg.ExecuteInProcessResult, Path]:
    folder = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CURATION_WAREHOUSE", str(folder / "warehouse.duckdb"))
        patch.setenv("CURATION_OUTPUT_DIR", str(folder / "exports"))
        patch.setenv("CURATION_SHARED_DATA", str(SHARED_DATA))
        result = materialize_config(config)
    return result, folder


# The two full materializations, once per test run each: (the run's result, its folder, which holds
# warehouse.duckdb and exports/). Read them, never write to them: a test that runs the pipeline into
# a warehouse again copies it or starts its own.
@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> tuple[dg.ExecuteInProcessResult, Path]:
    """The built-in demo."""
    return _materialize_once(tmp_path_factory, DEMO_CONFIG, "demo")


@pytest.fixture(scope="session")
def shared_data_run(tmp_path_factory) -> tuple[dg.ExecuteInProcessResult, Path]:
    """``examples/shared-data.yaml``: the three public datasets, about 15k records."""
    return _materialize_once(tmp_path_factory, SHARED_CONFIG, "shared")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    # A missing folder is a broken test environment, not a reason to pass quietly.
    assert SHARED_DATA.is_dir(), f"shared datasets not found at {SHARED_DATA}; set CURATION_SHARED_DATA"
    return SHARED_DATA


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """Warehouse and exports of this test go to its own folder."""
    monkeypatch.setenv("CURATION_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("CURATION_OUTPUT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("CURATION_SHARED_DATA", str(SHARED_DATA))
    return tmp_path


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
