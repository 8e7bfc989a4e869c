"""Records known by location (their shard and row in it), their texts read back when needed.

A global decision (duplicates, mix caps) is made over slim rows without text; the few texts it
must look at are read back by location from where the records are stored: the shards
(``engine/decided_stage.ShardTexts``) or a frame held in memory (``FrameTexts``).
"""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np
import pandas as pd

LOCATION_COLUMNS = ["shard", "shard_row"]


def located(frame: pd.DataFrame, shard: int) -> pd.DataFrame:
    """``frame`` (one shard's rows, in order) with each row's location."""
    return frame.assign(shard=np.int32(shard), shard_row=np.arange(len(frame), dtype=np.int64))


class TextSource(Protocol):
    def columns(self, locations: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
        """``fields`` of the records at ``locations`` (``LOCATION_COLUMNS``), in their order."""


class FrameTexts:
    """Texts of records held in memory: one shard, locations are row numbers."""

    def __init__(self, records: pd.DataFrame) -> None:
        self._records = records.reset_index(drop=True)

    def columns(self, locations: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
        present = [field for field in fields if field in self._records]  # a frame of some columns only
        return self._records.iloc[locations["shard_row"].to_numpy()].loc[:, present].reset_index(drop=True)
