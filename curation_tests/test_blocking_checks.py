"""A failing suite stops the graph and keeps bad data out of the published tables."""

import json

import pytest

from support import materialize_config, query, write_config

pytestmark = [pytest.mark.slow]


def _source(path):
    return [{"name": "notes", "path": str(path), "format": "jsonl", "kind": "real", "license": "test",
             "fields": {"instruction": "q", "response": "a"}}]


def _write_notes(path, long_response_chars):
    rows = [{"q": f"Question {i}?", "a": f"Answer {i}."} for i in range(20)]
    rows.append({"q": "Tell me everything.", "a": "x" * long_response_chars})
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_failing_suite_blocks_downstream_and_quarantines_the_table(workdir):
    data = workdir / "notes.jsonl"
    _write_notes(data, long_response_chars=500)
    config = write_config(workdir / "config.yaml", _source(data), checks={"max_text_chars": 200})

    result = materialize_config(config, raise_on_error=False)

    assert not result.success
    evaluation = {e.check_name: e for e in result.get_asset_check_evaluations()}["gx_raw_notes"]
    assert not evaluation.passed
    failures = evaluation.metadata["failures"].value
    assert any("expect_column_value_lengths_to_be_between" in name for name in failures)
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "combined" not in materialized
    warehouse = workdir / "warehouse.duckdb"
    tables = {row[0] for row in query(warehouse, "SELECT table_schema || '.' || table_name FROM information_schema.tables")}
    assert "main.raw_notes" not in tables
    assert query(warehouse, "SELECT count(*) FROM quarantine.raw_notes")[0][0] == 21


def test_fixing_the_data_publishes_and_clears_the_quarantine(workdir):
    data = workdir / "notes.jsonl"
    _write_notes(data, long_response_chars=500)
    config = write_config(workdir / "config.yaml", _source(data), checks={"max_text_chars": 200})
    assert not materialize_config(config, raise_on_error=False).success

    _write_notes(data, long_response_chars=150)
    result = materialize_config(config)

    assert result.success
    warehouse = workdir / "warehouse.duckdb"
    assert query(warehouse, "SELECT count(*) FROM main.raw_notes")[0][0] == 21
    assert query(warehouse, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'quarantine'")[0][0] == 0


def test_a_stale_published_table_survives_a_failed_rerun(workdir):
    data = workdir / "notes.jsonl"
    _write_notes(data, long_response_chars=150)
    config = write_config(workdir / "config.yaml", _source(data), checks={"max_text_chars": 200})
    assert materialize_config(config).success
    before = query(workdir / "warehouse.duckdb", "SELECT record_id FROM main.cleaned ORDER BY 1")

    _write_notes(data, long_response_chars=500)
    assert not materialize_config(config, raise_on_error=False).success

    after = query(workdir / "warehouse.duckdb", "SELECT record_id FROM main.cleaned ORDER BY 1")
    assert after == before
    assert query(workdir / "warehouse.duckdb", "SELECT max(length(response)) FROM main.raw_notes")[0][0] == 150
