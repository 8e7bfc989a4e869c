"""Deterministic train/eval split by hashing the normalized instruction.

Every record with the same normalized instruction lands in the same split, so no instruction
is in both; the seed changes the assignment, the same seed always gives the same one.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from curation_assets.core.records import as_records, normalize_text

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


def instructions_in_both(train: pd.DataFrame, eval_: pd.DataFrame) -> list[str]:
    """Normalized instructions present in both splits: the leakage the split must prevent."""
    shared = set(train["instruction"].map(normalize_text)) & set(eval_["instruction"].map(normalize_text))
    return sorted(shared)
