"""What every stage returns: the records it kept and the ones it dropped, with reasons."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass
class StageResult:
    kept: pd.DataFrame
    rejected: pd.DataFrame  # rejections schema: record columns + stage, reason, detail

    def reason_counts(self) -> dict[str, int]:
        if self.rejected.empty:
            return {}
        return {str(k): int(v) for k, v in self.rejected["reason"].value_counts().sort_index().items()}
