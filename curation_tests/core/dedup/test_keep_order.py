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


def test_the_member_cleaning_repaired_least_comes_first_whatever_the_configured_order():
    import json

    def lineage(*rewrites: str) -> str:
        return json.dumps({"source": "alpha", **({"clean": list(rewrites)} if rewrites else {})})

    frame = rows(("a", "real", "alpha", 0, "a long response wrapped in markup once"),
                 ("b", "real", "beta", 9, "a response"),
                 ("c", "real", "alpha", 1, "a longer response with an address redacted"),
                 ("d", "synthetic", "alpha", 2, "x")).assign(lineage=[
                     lineage("response:html_stripped", "response:whitespace_normalized"),
                     lineage("instruction:whitespace_normalized"),  # tidying whitespace is no repair
                     lineage("response:pii_redacted", "input:pii_redacted"),
                     lineage()])
    # b and d needed no repair: then real before synthetic; a (one repair) before c (two).
    assert in_keep_order(frame, DEFAULT_KEEP, source_rank)["record_id"].tolist() == ["b", "d", "a", "c"]
    assert in_keep_order(frame, EXACT_KEEP, source_rank)["record_id"].tolist() == ["b", "d", "a", "c"]
    assert in_keep_order(frame.drop(columns="lineage"), EXACT_KEEP, source_rank)["record_id"].tolist() == [
        "a", "c", "b", "d"]
