"""record_suite run through real Great Expectations: what passes, what fails, and what the check reports."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from curation_assets.checks.gx_checks import evaluate_suite
from curation_assets.checks.gx_factory import validate_frame
from curation_assets.checks.suites import record_suite
from curation_assets.checks.settings import ChecksConfig
from curation_assets.config import PipelineConfig
from curation_assets.core.clean.settings import CleanConfig
from curation_assets.core.load.settings import SourceConfig

MAX_CHARS = 60
ASSET = dg.AssetKey(["curation", "cleaned"])


@pytest.fixture(scope="module")
def config() -> PipelineConfig:
    sources = [
        SourceConfig(name=name, path=f"{name}.jsonl", format="jsonl", fields={"instruction": "q", "response": "a"},
                     kind=kind, license="MIT")
        for name, kind in (("alpha", "real"), ("beta", "synthetic"))
    ]
    return PipelineConfig(
        sources=sources,
        checks=ChecksConfig(max_text_chars=MAX_CHARS),
        clean=CleanConfig(min_instruction_chars=3, min_response_chars=2),
    )


@pytest.fixture
def valid_frame(make_records) -> pd.DataFrame:
    return make_records(
        dict(source="alpha", instruction="Add 2 and 2.", response="Four."),
        dict(source="beta", kind="synthetic", instruction="Say hi.", input="politely", response="Hello."),
        dict(source="alpha", source_position=0, instruction="x" * MAX_CHARS, response="y" * MAX_CHARS),
    )


def failures_of(result: dg.AssetCheckResult) -> dict:
    return result.metadata["failures"].data


def test_valid_records_pass_the_suite_with_every_expectation_evaluated(config, valid_frame):
    suite = record_suite("cleaned", config, require_text=True)
    result = evaluate_suite(ASSET, valid_frame, suite)

    assert result.passed is True
    assert result.asset_key == ASSET
    assert result.check_name == "gx_cleaned"
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert result.metadata["evaluated_expectations"].value == len(suite.expectations) == 21
    assert result.metadata["failed_expectations"].value == 0
    assert result.metadata["rows_validated"].value == 3
    assert failures_of(result) == {}


def set_cell(column, row, value):
    def mutate(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.astype({column: "object"}) if not isinstance(value, str) else frame
        frame.loc[row, column] = value
        return frame
    return mutate


def duplicate_first_id(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[2, "record_id"] = frame.loc[0, "record_id"]
    return frame


@pytest.mark.parametrize(
    ("mutate", "failing", "unexpected"),
    [
        pytest.param(duplicate_first_id, "expect_column_values_to_be_unique(record_id)", None, id="duplicate_id"),
        pytest.param(set_cell("kind", 1, "generated"), "expect_column_values_to_be_in_set(kind)", ["generated"],
                     id="unknown_kind"),
        pytest.param(set_cell("source", 0, "gamma"), "expect_column_values_to_match_regex(source)", ["gamma"],
                     id="unconfigured_source"),
        pytest.param(set_cell("instruction", 1, "z" * (MAX_CHARS + 1)),
                     "expect_column_value_lengths_to_be_between(instruction)", ["z" * (MAX_CHARS + 1)],
                     id="instruction_too_long"),
        pytest.param(set_cell("earlier_turns", 2, "user: hello"), "expect_column_values_to_match_regex(earlier_turns)",
                     ["user: hello"], id="turns_not_a_json_list"),
        pytest.param(set_cell("input", 1, "i" * (MAX_CHARS + 1)),
                     "expect_column_value_lengths_to_be_between(input)", ["i" * (MAX_CHARS + 1)],
                     id="input_too_long"),
        pytest.param(set_cell("response", 1, ""), "expect_column_value_lengths_to_be_between(response)", [""],
                     id="empty_response"),
        pytest.param(set_cell("record_id", 0, "NOT-A-HEX-ID-0000000"),
                     "expect_column_values_to_match_regex(record_id)", ["NOT-A-HEX-ID-0000000"], id="bad_id_form"),
        pytest.param(set_cell("source_position", 1, -1), "expect_column_values_to_be_between(source_position)",
                     [-1], id="negative_position"),
    ],
)
def test_invalid_records_fail_and_the_check_names_the_failing_expectation(
    config, valid_frame, mutate, failing, unexpected
):
    result = evaluate_suite(ASSET, mutate(valid_frame.copy()), record_suite("cleaned", config, require_text=True))

    assert result.passed is False
    assert result.metadata["failed_expectations"].value == 1
    failures = failures_of(result)
    assert list(failures) == [failing]
    assert failures[failing]["unexpected_count"] >= 1
    if unexpected is not None:
        assert failures[failing]["partial_unexpected_list"] == unexpected


def test_source_may_be_a_day_of_a_daily_batch_or_an_inbox_file_and_nothing_else(valid_frame):
    base = {"fields": {"instruction": "q", "response": "a"}, "license": "MIT"}
    config = PipelineConfig(
        sources=[SourceConfig(name="alpha", path="a.jsonl", format="jsonl", kind="real", **base)],
        synthetic={"batches": [{"name": "drills", "task": "arithmetic", "count": 3, "daily": True},
                               {"name": "once", "task": "arithmetic", "count": 3}]},
        inbox={"path": "inbox", "kind": "real", **base},
    )
    suite = record_suite("combined", config, require_text=False)
    frame = valid_frame.assign(kind="real")
    accepted = ["alpha", "drills", "drills_20261127", "once", "inbox/feedback 2026-11-27.jsonl"]
    refused = ["once_20261127", "drills_2026112", "drills_20261127x", "inbox/", "beta", "inboxfile.jsonl"]
    for source in accepted:
        assert evaluate_suite(ASSET, frame.assign(source=source), suite).passed, source
    for source in refused:
        result = evaluate_suite(ASSET, frame.assign(source=source), suite)
        assert list(failures_of(result)) == ["expect_column_values_to_match_regex(source)"], source


def test_extra_column_fails_the_column_list_expectation(config, valid_frame):
    result = evaluate_suite(ASSET, valid_frame.assign(score=1.0), record_suite("cleaned", config, require_text=False))

    assert result.passed is False
    failures = failures_of(result)
    assert len(failures) == 1
    (label, detail), = failures.items()
    assert label.startswith("expect_table_columns_to_match_ordered_list(")
    assert detail["observed_value"][-1] == "score"


def test_empty_response_fails_only_when_text_is_required(config, valid_frame):
    frame = valid_frame.copy()
    frame.loc[1, "response"] = ""
    assert evaluate_suite(ASSET, frame, record_suite("loaded", config, require_text=False)).passed is True
    assert evaluate_suite(ASSET, frame, record_suite("cleaned", config, require_text=True)).passed is False


def test_text_exactly_at_the_limit_passes_and_one_more_character_fails(config, valid_frame):
    suite = record_suite("cleaned", config, require_text=True)
    assert validate_frame(valid_frame, suite).success  # row 2 holds MAX_CHARS characters
    frame = valid_frame.copy()
    frame.loc[2, "response"] = "y" * (MAX_CHARS + 1)
    result = validate_frame(frame, suite)
    assert not result.success
    assert result.statistics["unsuccessful_expectations"] == 1


def test_null_text_fails_the_not_null_expectation(config, valid_frame):
    frame = valid_frame.copy()
    frame.loc[0, "input"] = pd.NA
    failures = failures_of(evaluate_suite(ASSET, frame, record_suite("loaded", config, require_text=False)))
    assert "expect_column_values_to_not_be_null(input)" in failures


