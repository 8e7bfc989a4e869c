"""Which member of a group of duplicates (or conflicting records) is kept: a configurable ranking.

Cleaning runs before dedup, so every member has passed every rule; first comes the member that
needed the fewest repairs (HTML stripped, mojibake repaired, Markdown stripped, PII redacted,
each field counted; whitespace tidying is not a repair): a clean original beats its HTML-wrapped
or PII-carrying copy even when the copy's response is longer. Then the configured criteria, in
order, with the record id as the final tie-break so the choice never depends on row order:

- ``real_first``: real before synthetic;
- ``longest_response`` / ``shortest_response``: by the response's length in characters;
- ``earliest_position``: the source listed first in the config, then the earliest source position;
- ``source_order``: the source listed first in the config.
"""

from __future__ import annotations

import json
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from curation_assets.core.dedup.settings import KeepCriterion

DEFAULT_KEEP: tuple[KeepCriterion, ...] = ("real_first", "longest_response", "earliest_position")
# Exact duplicates are equal after normalization, so their lengths barely differ: provenance decides.
EXACT_KEEP: tuple[KeepCriterion, ...] = ("real_first", "earliest_position")
_KIND_RANK = {"real": 0, "synthetic": 1}


def _source_ranks(frame: pd.DataFrame, source_rank: Callable[[str], int]) -> pd.Series:
    def rank(source: str) -> int:
        try:
            return source_rank(source)
        except ValueError:  # a source no longer in the config (published by an earlier run) ranks last
            return 1 << 30

    sources = frame["source"]
    # A few distinct sources among a million rows: each is ranked once.
    return sources.map({source: rank(source) for source in pd.unique(sources.to_numpy(dtype=object))}).astype("int64")


def _response_chars(frame: pd.DataFrame) -> pd.Series:
    """The response's length: a slim batch row carries it (batch.py), a record has the response."""
    if "response_chars" in frame:
        return frame["response_chars"].astype("int64")
    return frame["response"].fillna("").str.len().astype("int64")


# The clean stage's rewrites that mean the text arrived damaged (rules.py records "field:name").
REPAIRS = frozenset({"html_stripped", "unicode_repaired", "markdown_stripped", "pii_redacted"})


def repairs_of(lineages: Sequence[str | None]) -> np.ndarray:
    """Per record, how many of its fields the clean stage repaired (from its lineage JSON)."""
    counts = np.zeros(len(lineages), dtype=np.int64)
    for row, lineage in enumerate(lineages):
        if lineage and '"clean"' in lineage:
            rewrites = json.loads(lineage).get("clean") or []
            counts[row] = sum(str(rewrite).split(":", 1)[-1] in REPAIRS for rewrite in rewrites)
    return counts


def _repairs(frame: pd.DataFrame) -> pd.Series:
    """A slim batch row carries its repairs (batch.py); a record has its lineage."""
    if "repairs" in frame:
        return frame["repairs"].fillna(0).astype("int64")
    if "lineage" in frame:
        return pd.Series(repairs_of(frame["lineage"].tolist()), index=frame.index)
    return pd.Series(0, index=frame.index, dtype="int64")


def _id_order(ids: pd.Series) -> np.ndarray:
    """Each id's place among the distinct ids in sorted order (``np.unique``'s inverse), sorted by
    Arrow: numpy sorts a million Python strings in seconds."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ranks = pc.rank(pa.array(ids.astype(str) if ids.dtype != "string[pyarrow]" else ids), sort_keys="ascending",
                    tiebreaker="dense")
    return ranks.to_numpy().astype(np.int64) - 1


def sort_columns(frame: pd.DataFrame, criteria: Sequence[KeepCriterion], source_rank: Callable[[str], int]) -> pd.DataFrame:
    """The repairs, then one column per criterion (smaller is better), then the record id."""
    columns: dict[str, pd.Series] = {"repairs": _repairs(frame)}
    for criterion in criteria:
        if criterion == "real_first":
            columns["kind_rank"] = frame["kind"].map(_KIND_RANK).fillna(len(_KIND_RANK)).astype("int64")
        elif criterion == "longest_response":
            columns["response_rank"] = -_response_chars(frame)
        elif criterion == "shortest_response":
            columns["response_rank"] = _response_chars(frame)
        elif criterion == "earliest_position":
            columns["source_rank"] = _source_ranks(frame, source_rank)
            columns["position_rank"] = frame["source_position"].astype("int64")
        elif criterion == "source_order":
            columns["source_rank"] = _source_ranks(frame, source_rank)
        else:
            raise ValueError(f"unknown keep criterion {criterion!r}")
    columns["record_id"] = pd.Series(_id_order(frame["record_id"]))
    return pd.DataFrame({f"{i}_{name}": column.to_numpy() for i, (name, column) in enumerate(columns.items())},
                        index=frame.index)


def preference(frame: pd.DataFrame, criteria: Sequence[KeepCriterion], source_rank: Callable[[str], int]) -> np.ndarray:
    """Per row its place in the ranking (0 = kept first)."""
    if frame.empty:
        return np.zeros(0, dtype=np.int64)
    keys = sort_columns(frame, criteria, source_rank)
    order = np.lexsort([keys[column].to_numpy() for column in reversed(keys.columns)])
    places = np.empty(len(frame), dtype=np.int64)
    places[order] = np.arange(len(frame))
    return places


def in_keep_order(frame: pd.DataFrame, criteria: Sequence[KeepCriterion], source_rank: Callable[[str], int]) -> pd.DataFrame:
    """``frame``'s rows, the one kept first (the first row of a duplicate group is its survivor)."""
    return frame.iloc[np.argsort(preference(frame, criteria, source_rank), kind="stable")]
