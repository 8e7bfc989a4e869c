"""Union the per-source record tables into one, in a deterministic order."""

from __future__ import annotations

import pandas as pd

from curation_assets.core.records import as_records, empty_records, empty_rejections
from curation_assets.core.stage_result import StageResult

STAGE = "combine"


def combine_sources(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """All records, ordered by record id so the table does not depend on load order."""
    non_empty = [frame for frame in frames if not frame.empty]
    if not non_empty:
        return empty_records()
    combined = pd.concat(non_empty, ignore_index=True).sort_values("record_id", kind="mergesort")
    return as_records(combined)


def combine_shard(shard: pd.DataFrame, plan: None) -> tuple[StageResult, None]:
    """A group of upstream shards as one shard of ``combined``: every record kept, in record-id order."""
    return StageResult(combine_sources([shard]), empty_rejections(STAGE)), None
