"""Deterministic train/eval split by hashing the normalized instruction.

Every record with the same normalized instruction lands in the same split, so no instruction
is in both; the seed changes the assignment, the same seed always gives the same one.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from curation_assets.core.records import as_records, empty_rejections, normalize_text
from curation_assets.core.split.settings import SplitConfig

STAGE = "split"
_BUCKETS = 2**32


def split_of(instruction: str, eval_fraction: float, seed: int) -> str:
    digest = hashlib.sha256(f"{seed}\x1f{normalize_text(instruction)}".encode("utf-8")).digest()
    bucket = int.from_bytes(digest[:4], "big")
    return "eval" if bucket < eval_fraction * _BUCKETS else "train"


def split_records(frame: pd.DataFrame, eval_fraction: float, seed: int) -> dict[str, pd.DataFrame]:
    """``{"train": ..., "eval": ...}``, each ordered by record id."""
    assignment = frame["instruction"].map(lambda text: split_of(text, eval_fraction, seed))
    return {
        name: as_records(frame[assignment == name].sort_values("record_id", kind="mergesort"))
        for name in ("train", "eval")
    }


def shard_plan(config) -> SplitConfig:
    """What a worker needs to split shards of ``config`` (a PipelineConfig)."""
    return config.split


def split_shard(shard: pd.DataFrame, settings: SplitConfig) -> tuple[dict[str, pd.DataFrame], None]:
    """One shard's train and eval records (the assignment is per record, so shards split alone); the
    split rejects nothing."""
    return {**split_records(shard, settings.eval_fraction, settings.seed), "rejected": empty_rejections(STAGE)}, None
