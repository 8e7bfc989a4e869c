"""The Dagster half of our GX bridge: a suite as a blocking asset check, a verdict as its result.

``gx_check_spec`` declares the check; ``check_result`` turns a validation summary (gx_factory.py,
one shard's or several merged) into the check's result, with every failed expectation, its
unexpected count and examples in the metadata; ``evaluate_suite`` validates a frame and does both.
"""

from __future__ import annotations

import dagster as dg
import pandas as pd

from curation_assets.checks.gx_factory import GxSuite, validation_summary


def gx_check_spec(asset_key: dg.AssetKey, suite: GxSuite) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(name=suite.check_name, asset=asset_key, blocking=True, description=suite.describe())


def check_result(asset_key: dg.AssetKey, suite: GxSuite, summary: dict) -> dg.AssetCheckResult:
    metadata = {
        "evaluated_expectations": summary["evaluated_expectations"],
        "failed_expectations": len(summary["failures"]),
        "rows_validated": summary["rows_validated"],
        "failures": dg.MetadataValue.json(summary["failures"]),
    }
    if "shards_validated" in summary:
        metadata["shards_validated"] = summary["shards_validated"]
    return dg.AssetCheckResult(asset_key=asset_key, check_name=suite.check_name, passed=summary["success"],
                               severity=dg.AssetCheckSeverity.ERROR, metadata=metadata)


def evaluate_suite(asset_key: dg.AssetKey, frame: pd.DataFrame, suite: GxSuite) -> dg.AssetCheckResult:
    return check_result(asset_key, suite, validation_summary(frame, suite))
