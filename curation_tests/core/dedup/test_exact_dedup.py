"""Exact dedup: normalized equality on the configured fields, the keep order, one rejection per dropped duplicate."""

from __future__ import annotations

from curation_assets.core.dedup.exact import exact_dedup
from curation_assets.core.records import RECORD_COLUMNS, REJECTION_COLUMNS
from support import ids, rid

ALL_FIELDS = ["instruction", "input", "response"]
SOURCE_ORDER = ["alpha", "beta", "gamma"]


def rank(name: str) -> int:
    return SOURCE_ORDER.index(name)


def test_duplicates_equal_after_nfkc_case_and_whitespace_are_dropped(make_records):
    frame = make_records(
        dict(instruction="Hello  World", response="Fine, thanks."),
        dict(instruction="hello world", response="fine, THANKS."),
        dict(instruction="\uff28\uff45\uff4c\uff4c\uff4f World", response="Fine,\tthanks.\n"),  # fullwidth 'Hello'
        dict(instruction="HELLO\nWORLD ", response=" Fine, thanks."),
        dict(instruction="Hello, World", response="Fine, thanks."),  # punctuation differs: not a duplicate
    )
    result = exact_dedup(frame, ALL_FIELDS, rank)

    assert ids(result.kept) == [rid(0), rid(4)]
    assert ids(result.rejected) == [rid(1), rid(2), rid(3)]
    assert tuple(result.kept.columns) == RECORD_COLUMNS
    assert tuple(result.rejected.columns) == REJECTION_COLUMNS
    assert set(result.rejected["stage"]) == {"dedup"}


def test_dedup_compares_only_the_configured_fields(make_records):
    frame = make_records(
        dict(instruction="Name a colour.", response="Red."),
        dict(instruction="name a colour.", response="Blue."),
    )
    assert len(exact_dedup(frame, ALL_FIELDS, rank).kept) == 2
    by_instruction = exact_dedup(frame, ["instruction"], rank)
    assert ids(by_instruction.kept) == [rid(0)]
    assert by_instruction.rejected["detail"].iloc[0] == f"duplicate of {rid(0)} after normalization of instruction"


def test_keep_rule_prefers_real_then_earlier_listed_source_then_earliest_position(make_records):
    # In each group the row that must survive comes last in the frame, so row order cannot explain it.
    frame = make_records(
        # group A: synthetic from the first-listed source vs real from a later one -> real wins
        dict(index=10, instruction="A", source="alpha", source_position=0, kind="synthetic"),
        dict(index=11, instruction="A", source="gamma", source_position=99, kind="real"),
        # group B: both real, beta before alpha in the frame -> alpha (listed first) wins
        dict(index=20, instruction="B", source="beta", source_position=0),
        dict(index=21, instruction="B", source="alpha", source_position=50),
        # group C: same source -> earliest position wins
        dict(index=30, instruction="C", source="beta", source_position=7),
        dict(index=31, instruction="C", source="beta", source_position=3),
    )
    frame["response"] = "same answer"
    result = exact_dedup(frame, ALL_FIELDS, rank)

    assert ids(result.kept) == [rid(11), rid(21), rid(31)]
    assert ids(result.rejected) == [rid(10), rid(20), rid(30)]


def test_every_dropped_duplicate_has_reason_exact_duplicate_naming_its_representative(make_records):
    frame = make_records(
        dict(index=5, instruction="Same", response="same", source_position=9),
        dict(index=6, instruction="SAME", response="Same", source_position=2),  # representative of group 1
        dict(index=7, instruction=" same ", response="same", source_position=4),
        dict(index=8, instruction="Other", response="x", source_position=1),  # representative of group 2
        dict(index=9, instruction="other", response="X", source_position=3),
        dict(index=1, instruction="Unique", response="u"),
    )
    result = exact_dedup(frame, ALL_FIELDS, rank)

    assert ids(result.kept) == [rid(1), rid(6), rid(8)]
    rejected = result.rejected.set_index("record_id")
    assert (rejected["reason"] == "exact_duplicate").all()
    suffix = " after normalization of instruction+input+response"
    assert rejected.loc[rid(5), "detail"] == f"duplicate of {rid(6)}{suffix}"
    assert rejected.loc[rid(7), "detail"] == f"duplicate of {rid(6)}{suffix}"
    assert rejected.loc[rid(9), "detail"] == f"duplicate of {rid(8)}{suffix}"
    # nothing lost, nothing invented
    assert sorted(ids(result.kept) + ids(result.rejected)) == ids(frame)
