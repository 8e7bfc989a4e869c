"""Dataset-size ladders: nested subsets of train for the 'performance against dataset size' plot.

Every record gets a key ``(rank within its source + u) / records of its source``, where the rank
and ``u`` come from a seeded hash. Sorting by the key interleaves the sources in proportion, so
every prefix keeps the source mix, and a smaller rung is a prefix of a larger one: nested by
construction, whatever the sizes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from curation_assets.core.export.formats import training_lines, write_jsonl_atomically
from curation_assets.core.files import file_sha256
from curation_assets.core.export.settings import ExportConfig
from curation_assets.core.report.stats import counts

LISTING_COLUMNS = ["size", "records", "path", "sha256", "by_source"]


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


def ladder_problems(rungs: dict[int, pd.DataFrame], train: pd.DataFrame) -> list[str]:
    """What breaks the ladder's promise: each rung contains the one before it, and no rung's share of
    a source drifts from train's by more than ``mix_tolerance``."""
    problems, previous = [], set()
    overall = train["source"].value_counts(normalize=True)
    for size, rung in rungs.items():
        ids = set(rung["record_id"])
        if not previous <= ids:
            problems.append(f"rung {size} does not contain the previous rung")
        previous = ids
        share = rung["source"].value_counts(normalize=True).reindex(overall.index, fill_value=0.0)
        worst = float((share - overall).abs().max())
        if worst > mix_tolerance(size, len(overall)) + 1e-9:
            problems.append(f"rung {size} drifts from the source mix by {worst:.3f}")
    return problems


def write_ladder(rungs: dict[int, pd.DataFrame], folder: Path, export: ExportConfig) -> pd.DataFrame:
    """Each rung as ``train_<size>.jsonl`` in the export format (files of earlier ladders removed);
    the listing: one row per rung with its file's path, sha256 and records per source."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("train_*.jsonl"):
        stale.unlink()
    listing = []
    for size, rung in rungs.items():
        path = folder / f"train_{size}.jsonl"
        write_jsonl_atomically(training_lines(rung, export.format, export.system_prompt), path)
        listing.append({"size": size, "records": len(rung), "path": str(path), "sha256": file_sha256(path),
                        "by_source": json.dumps(counts(rung, "source"), sort_keys=True)})
    return pd.DataFrame(listing, columns=LISTING_COLUMNS)
