"""Bad input seen through Dagster: a clear failure naming source and file, or quarantined rows."""

import json

import pytest

from support import materialize_config, query, write_config


def _failure_messages(result) -> str:
    return "\n".join(str(event.event_specific_data.error) for event in result.all_events
                     if event.is_step_failure)


@pytest.mark.slow
def test_missing_source_file_fails_the_run_with_a_clear_message(workdir):
    missing = workdir / "nowhere.jsonl"
    config = write_config(workdir / "config.yaml", [{
        "name": "logs", "path": str(missing), "format": "jsonl", "kind": "real", "license": "test",
        "fields": {"instruction": "q", "response": "a"}}])
    result = materialize_config(config, raise_on_error=False)
    assert not result.success
    message = _failure_messages(result)
    assert "source 'logs'" in message and str(missing) in message and "does not exist" in message


def test_missing_mapped_column_names_the_column_and_what_is_there(workdir):
    data = workdir / "faq.csv"
    data.write_text("question,reply\nWhat?,That.\n", encoding="utf-8")
    config = write_config(workdir / "config.yaml", [{
        "name": "faq", "path": str(data), "format": "csv", "kind": "real", "license": "test",
        "fields": {"instruction": "question", "response": "answer"}}])
    message = _failure_messages(materialize_config(config, raise_on_error=False))
    assert "mapped field 'answer'" in message and "question, reply" in message and str(data) in message


@pytest.mark.slow
def test_bad_lines_are_quarantined_and_the_rest_flows_through(workdir):
    data = workdir / "logs.jsonl"
    good = [json.dumps({"q": f"Question {i}?", "a": f"Answer {i}."}).encode() for i in range(10)]
    data.write_bytes(b"\n".join(good[:5] + [b'{"q": "cut', b'{"q": "caf\xe9", "a": "latin-1"}', b'{"q": "no answer"}']
                                + good[5:]) + b"\n")
    config = write_config(workdir / "config.yaml", [{
        "name": "logs", "path": str(data), "format": "jsonl", "kind": "real", "license": "test",
        "fields": {"instruction": "q", "response": "a"}}])
    assert materialize_config(config).success
    rows = query(workdir / "warehouse.duckdb",
                 "SELECT source_position, reason FROM rejections WHERE stage = 'load' ORDER BY source_position")
    assert rows == [(6, "malformed_json"), (7, "invalid_encoding"), (8, "missing_field")]
    assert query(workdir / "warehouse.duckdb", "SELECT count(*) FROM main.raw_logs")[0][0] == 10
