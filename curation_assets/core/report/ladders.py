"""Dataset-size ladders: nested subsets of train for the 'performance against dataset size' plot.

Every record gets a key ``(rank within its source + u) / records of its source``, where the rank
and ``u`` come from a seeded hash. Sorting by the key interleaves the sources in proportion, so
every prefix keeps the source mix, and a smaller rung is a prefix of a larger one: nested by
construction, whatever the sizes.
"""

from __future__ import annotations

import hashlib

import pandas as pd


def _unit_hash(record_id: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}\x1f{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def ladder_order(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``frame`` in ladder order: take the first n rows for the rung of size n."""
    if frame.empty:
        return frame
    ordered = frame.assign(_u=frame["record_id"].map(lambda rid: _unit_hash(rid, seed)))
    ordered = ordered.sort_values(["source", "_u", "record_id"], kind="mergesort")
    ordered["_rank"] = ordered.groupby("source").cumcount()
    ordered["_key"] = (ordered["_rank"] + ordered["_u"]) / ordered.groupby("source")["record_id"].transform("size")
    ordered = ordered.sort_values(["_key", "record_id"], kind="mergesort")
    return ordered.drop(columns=["_u", "_rank", "_key"]).reset_index(drop=True)


def mix_tolerance(size: int, sources: int) -> float:
    """How far a rung's share of any source may drift from the whole train split's share.

    Each source's count in a prefix is within one record of its proportional count, so the share
    of a source drifts by at most (1 + sources) / size.
    """
    return (1 + sources) / size


def rung_sizes(requested: list[int | str], available: int) -> list[int]:
    """The distinct sizes to export, ascending; 'all' means every record, larger sizes are capped."""
    sizes = {available if size == "all" else min(int(size), available) for size in requested}
    return sorted(size for size in sizes if size > 0)


def ladder(frame: pd.DataFrame, requested: list[int | str], seed: int) -> dict[int, pd.DataFrame]:
    ordered = ladder_order(frame, seed)
    return {size: ordered.head(size) for size in rung_sizes(requested, len(ordered))}
