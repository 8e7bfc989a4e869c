"""Exact deduplication after normalization (NFKC, casefold, collapsed whitespace).

Which copy survives is a documented rule, not an accident of row order: real before synthetic,
then the source listed first in the config, then the earliest source position, then record id.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from curation_assets.core.records import as_records, as_rejections, content_key, empty_rejections
from curation_assets.core.stage_result import StageResult

STAGE = "dedup"
_KIND_RANK = {"real": 0, "synthetic": 1}


def keep_order(frame: pd.DataFrame, source_rank: Callable[[str], int]) -> pd.DataFrame:
    """``frame`` sorted by the keep rule: the first row of each duplicate group is kept."""
    ranked = frame.assign(
        _kind_rank=frame["kind"].map(_KIND_RANK).fillna(len(_KIND_RANK)).astype(int),
        _source_rank=frame["source"].map(source_rank).astype(int),
    )
    ranked = ranked.sort_values(
        ["_kind_rank", "_source_rank", "source_position", "record_id"], kind="mergesort"
    )
    return ranked.drop(columns=["_kind_rank", "_source_rank"])


def exact_dedup(frame: pd.DataFrame, fields: list[str], source_rank: Callable[[str], int]) -> StageResult:
    if frame.empty:
        return StageResult(as_records(frame), empty_rejections(STAGE))
    ordered = keep_order(frame, source_rank)
    keys = content_key(ordered, fields)
    duplicate = keys.duplicated(keep="first")
    representative = ordered["record_id"].groupby(keys).transform("first")

    kept = ordered[~duplicate].sort_values("record_id", kind="mergesort")
    dropped = ordered[duplicate].assign(
        reason="exact_duplicate",
        detail="duplicate of " + representative[duplicate] + " after normalization of " + "+".join(fields),
    )
    return StageResult(as_records(kept), as_rejections(dropped, STAGE))
