"""``curation sql``: a query answered over the warehouse a run left, errors in one line."""

from __future__ import annotations

import pytest

from curation_assets.cli import main
from support import query

pytestmark = [pytest.mark.slow]


def test_sql_prints_the_answer_over_the_record_views(demo_run, monkeypatch, capsys):
    warehouse = demo_run[1] / "warehouse.duckdb"
    monkeypatch.setenv("CURATION_WAREHOUSE", str(warehouse))
    assert main(["sql", "SELECT count(*) AS train_records FROM train"]) == 0
    (expected,) = query(warehouse, "SELECT count(*) FROM train")[0]
    assert capsys.readouterr().out.split() == ["train_records", str(expected)]


def test_a_bad_query_fails_with_duckdbs_message_and_no_traceback(demo_run, monkeypatch, capsys):
    monkeypatch.setenv("CURATION_WAREHOUSE", str(demo_run[1] / "warehouse.duckdb"))
    assert main(["sql", "SELECT nope FROM train"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("curation sql: Binder Error") and "Traceback" not in error
