"""Great Expectations 1.x suites, validated on DataFrames: the half of our GX bridge that workers run.

dagster-ge supports only GX < 1.0, so this small factory does the job: a ``GxSuite`` names its
expectations without importing GX (the import costs seconds, so it happens only when a suite
is evaluated), ``validation_summary`` validates a DataFrame in an ephemeral GX context and returns
every failed expectation with its unexpected count and examples as plain data, mergeable across
shards (``merge_summaries``). The Dagster half (check specs and results) is ``gx_checks.py``:
this module imports no Dagster, so a shard worker does not pay Dagster's import (about 1.2 s) in
every step.

Assets evaluate their suites *before* they publish (validate-then-write), so a failing suite
keeps bad data out of the tables downstream assets and users read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class GxSuite:
    name: str
    expectations: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = field(default=())

    @staticmethod
    def of(name: str, expectations: list[tuple[str, dict[str, Any]]]) -> "GxSuite":
        frozen = tuple((kind, tuple(sorted(kwargs.items()))) for kind, kwargs in expectations)
        return GxSuite(name=name, expectations=frozen)

    @property
    def check_name(self) -> str:
        return f"gx_{self.name}"

    def describe(self) -> str:
        lines = [f"Great Expectations suite '{self.name}':"]
        for kind, kwargs in self.expectations:
            arguments = ", ".join(f"{key}={value!r}" for key, value in kwargs)
            lines.append(f"- {kind}({arguments})")
        return "\n".join(lines)

    def build(self):
        import great_expectations as gx

        suite = gx.ExpectationSuite(name=self.name)
        for kind, kwargs in self.expectations:
            expectation_class = getattr(gx.expectations, kind)
            suite.add_expectation(expectation_class(**dict(kwargs)))
        return suite


@lru_cache(maxsize=1)
def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch smaller than this (a hash of every cell, twice per
    # validation: measured 45% of a 50,000-record shard's validation) only to label the batch, which
    # nothing here reads; our batches are labelled by the shard they validate.
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("curation").add_dataframe_asset("records")
    return asset.add_batch_definition_whole_dataframe("whole_table")


def validate_frame(frame: pd.DataFrame, suite: GxSuite, result_format: str = "SUMMARY"):
    """The GX validation result of ``suite`` on ``frame`` (with GX's ``result_format``)."""
    # GX's pandas metrics do not accept pandas' nullable extension dtypes everywhere, so every column
    # becomes objects (missing values None); built from one 2-D array, the frame is one block, which
    # GX's many copies of it copy at once instead of consolidating column by column (twice as fast).
    plain = pd.DataFrame(frame.to_numpy(dtype=object, na_value=None), columns=frame.columns, index=frame.index)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": plain})
    return batch.validate(suite.build(), result_format=result_format)


def validation_summary(frame: pd.DataFrame, suite: GxSuite) -> dict:
    """What ``suite`` found on ``frame``, as plain data: a shard's verdict, mergeable with other shards'."""
    # The verdict alone costs half of a validation that also counts and samples every expectation's
    # unexpected values (measured on a 50,000-record shard: 0.5-0.65 s against 1.1-1.3 s); those
    # details matter only when something failed, so only then is the suite run again for them.
    result = validate_frame(frame, suite, result_format="BOOLEAN_ONLY")
    if not result.success:
        result = validate_frame(frame, suite)
    failures = {}
    for expectation_result in result.results:
        if expectation_result.success:
            continue
        config = expectation_result.expectation_config
        label = f"{config.type}({config.kwargs.get('column', config.kwargs.get('column_list', ''))})"
        details = expectation_result.result or {}
        failures[label] = {
            key: details[key]
            for key in ("unexpected_count", "partial_unexpected_list", "observed_value")
            if key in details
        }
        if expectation_result.exception_info and expectation_result.exception_info.get("raised_exception"):
            failures[label]["exception"] = str(expectation_result.exception_info.get("exception_message"))[:500]
    return _json_safe({
        "success": bool(result.success),
        "evaluated_expectations": int(result.statistics["evaluated_expectations"]),
        "failures": failures,
        "rows_validated": len(frame),
    })


def merge_summaries(summaries: list[dict]) -> dict:
    """One verdict for a table validated shard by shard: it passes only when every shard passed;
    unexpected counts add up, examples are the first shards'."""
    failures: dict[str, dict] = {}
    for summary in summaries:
        for label, found in summary["failures"].items():
            merged = failures.setdefault(label, {})
            for key, value in found.items():
                if key == "unexpected_count":
                    merged[key] = merged.get(key, 0) + value
                elif key == "partial_unexpected_list":
                    merged[key] = (merged.get(key, []) + list(value))[:20]
                else:
                    merged.setdefault(key, value)
    return {
        "success": all(summary["success"] for summary in summaries),
        "evaluated_expectations": max((summary["evaluated_expectations"] for summary in summaries), default=0),
        "failures": failures,
        "rows_validated": sum(summary["rows_validated"] for summary in summaries),
        "shards_validated": len(summaries),
    }


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
