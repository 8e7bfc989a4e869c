"""Exact deduplication after normalization (NFKC, casefold, collapsed whitespace).

Which copy survives is a documented rule, not an accident of row order: ``keep.EXACT_KEEP``
(real before synthetic, then the source listed first in the config, then the earliest source
position, then record id).
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from curation_assets.core.dedup.keep import EXACT_KEEP, in_keep_order
from curation_assets.core.dedup.keys import keys_of, record_keys
from curation_assets.core.records import as_records, as_rejections, empty_rejections
from curation_assets.core.stage_result import StageResult

STAGE = "dedup"


def exact_dedup(frame: pd.DataFrame, fields: list[str], source_rank: Callable[[str], int],
                keys: pd.DataFrame | None = None) -> StageResult:
    """``keys``: the records' ``record_keys`` for these ``fields``, when already made."""
    if frame.empty:
        return StageResult(as_records(frame), empty_rejections(STAGE))
    kept, dropped = exact_duplicates(frame, fields, source_rank, record_keys(frame, fields) if keys is None else keys)
    return StageResult(as_records(kept), as_rejections(dropped, STAGE))


def exact_duplicates(frame: pd.DataFrame, fields: list[str], source_rank: Callable[[str], int],
                     keys: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``frame``'s rows kept (by record id) and dropped (with ``reason`` and ``detail``): records or batch
    rows (batch.py), ``keys`` their ``record_keys``."""
    ordered = in_keep_order(frame, EXACT_KEEP, source_rank)
    content = keys_of(keys, ordered)["content_key"]
    duplicate = content.duplicated(keep="first")
    representative = ordered["record_id"].groupby(content).transform("first")

    kept = ordered[~duplicate].sort_values("record_id", kind="mergesort")
    dropped = ordered[duplicate].assign(
        reason="exact_duplicate",
        detail="duplicate of " + representative[duplicate] + " after normalization of " + "+".join(fields),
    )
    return kept, dropped
