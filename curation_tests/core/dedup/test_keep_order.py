"""The one keep order (core/dedup/keep.py), used by exact and near-duplicate removal and conflicts."""

from __future__ import annotations

import pandas as pd

from curation_assets.core.dedup.keep import DEFAULT_KEEP, EXACT_KEEP, in_keep_order, preference

SOURCES = ["alpha", "beta"]


def source_rank(name: str) -> int:
    return SOURCES.index(name)  # raises ValueError for a source no longer configured, as the config does


def rows(*specs) -> pd.DataFrame:
    """(record_id, kind, source, position, response) per row."""
    return pd.DataFrame(specs, columns=["record_id", "kind", "source", "source_position", "response"])


def test_exact_keep_order_is_real_first_then_source_then_position_then_record_id():
    frame = rows(
        ("e", "synthetic", "alpha", 0, "x"),
        ("d", "real", "beta", 0, "x"),
        ("c", "real", "alpha", 7, "x"),
        ("b", "real", "alpha", 3, "x"),
        ("a", "real", "alpha", 3, "x"),
    )
    # a and b tie on kind, source and position: the record id decides.
    assert in_keep_order(frame, EXACT_KEEP, source_rank)["record_id"].tolist() == ["a", "b", "c", "d", "e"]
    assert preference(frame, EXACT_KEEP, source_rank).tolist() == [4, 3, 2, 1, 0]


def test_the_default_order_prefers_the_longer_response_before_provenance():
    frame = rows(("a", "real", "alpha", 0, "short"), ("b", "real", "beta", 9, "a longer response"),
                 ("c", "synthetic", "alpha", 0, "the longest response of all"))
    assert in_keep_order(frame, DEFAULT_KEEP, source_rank)["record_id"].tolist() == ["b", "a", "c"]


def test_a_source_no_longer_configured_ranks_last():
    frame = rows(("a", "real", "gone", 0, "x"), ("b", "real", "beta", 5, "x"))
    assert in_keep_order(frame, EXACT_KEEP, source_rank)["record_id"].tolist() == ["b", "a"]
