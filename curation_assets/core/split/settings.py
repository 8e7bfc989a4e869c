"""Settings of the split stage."""

from __future__ import annotations

from pydantic import Field

from curation_assets.core.settings import Strict

class SplitConfig(Strict):
    eval_fraction: float = Field(default=0.1, ge=0.0, lt=1.0)
    seed: int = 0
