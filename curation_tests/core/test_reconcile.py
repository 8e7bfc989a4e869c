"""Id reconciliation: every record that enters a stage leaves it exactly once, kept or rejected."""

from __future__ import annotations

import pandas as pd

from curation_assets.core.reconcile import reconcile_ids


def series(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype="string")


def test_reconcile_is_balanced_when_every_record_leaves_once():
    result = reconcile_ids(series("a", "b", "c"), series("a", "c"), series("b"))
    assert result.balanced
    assert (result.records_in, result.records_out, result.records_rejected) == (3, 2, 1)
    assert result.missing_ids == result.unexpected_ids == result.repeated_ids == []


def test_reconcile_detects_a_record_that_vanished():
    result = reconcile_ids(series("a", "b", "c"), series("a"), series("b"))
    assert not result.balanced
    assert result.missing_ids == ["c"]


def test_reconcile_detects_an_id_that_never_entered():
    result = reconcile_ids(series("a", "b"), series("a", "z"), series())
    assert not result.balanced
    assert result.unexpected_ids == ["z"]
    assert result.missing_ids == ["b"]


def test_reconcile_catches_a_drop_hidden_by_a_duplicate_even_when_counts_balance():
    # b vanished and a left twice (kept and rejected): 3 in, 2 + 1 out, yet not balanced
    result = reconcile_ids(series("a", "b", "c"), series("a", "c"), series("a"))
    assert result.records_in == result.records_out + result.records_rejected
    assert not result.balanced
    assert result.missing_ids == ["b"]
    assert result.repeated_ids == ["a"]
    assert result.as_metadata()["repeated_ids"] == ["a"]
