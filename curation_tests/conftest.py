"""Fixtures shared by the pipeline tests."""

from pathlib import Path

import pytest

from support import SHARED_DATA


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """Warehouse and exports of this test go to its own folder."""
    monkeypatch.setenv("CURATION_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("CURATION_OUTPUT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("CURATION_SHARED_DATA", str(SHARED_DATA))
    return tmp_path


