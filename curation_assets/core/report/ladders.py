"""Dataset-size ladders: nested subsets of train for the 'performance against dataset size' plot.

Every record gets a key ``(rank within its source + u) / records of its source``, where the rank
and ``u`` come from a seeded hash. Sorting by the key interleaves the sources in proportion, so
every prefix keeps the source mix, and a smaller rung is a prefix of a larger one: nested by
construction, whatever the sizes.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from curation_assets.core.export.formats import training_lines, write_jsonl_atomically
from curation_assets.core.files import file_sha256
from curation_assets.core.export.settings import ExportConfig

LISTING_COLUMNS = ["size", "records", "path", "sha256", "by_source", "over_max_tokens", "dropped_by_source"]


def unit_hash(record_id: str, salt: object) -> float:
    """A seeded hash of a record id, uniform in [0, 1)."""
    digest = hashlib.sha256(f"{salt}\x1f{record_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _with_unit_hash(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame.assign(_u=frame["record_id"].map(lambda rid: unit_hash(rid, seed)))


def ladder_candidates(frame: pd.DataFrame, seed: int, limit: int) -> pd.DataFrame:
    """The rows of ``frame`` that can be among the first ``limit`` of any ladder order it is part of:
    each source's ``limit`` lowest by seeded hash. A record of rank r within its source has its key
    in [r, r+1) / records of its source, so the first n of the ladder take a prefix of each source's
    ranks, no longer than n: the candidates of the parts (shards) of a split, merged and cut again,
    are the candidates of the whole split."""
    if frame.empty:
        return frame
    ranked = _with_unit_hash(frame, seed).sort_values(["source", "_u", "record_id"], kind="mergesort")
    kept = ranked[ranked.groupby("source").cumcount() < limit]
    return kept.drop(columns=["_u"]).sort_values("record_id", kind="mergesort").reset_index(drop=True)


def ladder_order(frame: pd.DataFrame, seed: int, source_sizes: dict[str, int] | None = None) -> pd.DataFrame:
    """``frame`` in ladder order: take the first n rows for the rung of size n.

    With ``source_sizes`` (records per source of the whole split), ``frame`` may be the split's
    ``ladder_candidates`` instead of the whole split: its first rows are the same."""
    if frame.empty:
        return frame
    ordered = _with_unit_hash(frame, seed).sort_values(["source", "_u", "record_id"], kind="mergesort")
    ordered["_rank"] = ordered.groupby("source").cumcount()
    sizes = (ordered["source"].map(source_sizes) if source_sizes is not None
             else ordered.groupby("source")["record_id"].transform("size"))
    ordered["_key"] = (ordered["_rank"] + ordered["_u"]) / sizes
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


def ladder_problems(rungs: dict[int, pd.DataFrame], source_counts: dict[str, int]) -> list[str]:
    """What breaks the ladder's promise: each rung contains the one before it, and no rung's share of
    a source drifts from train's (``source_counts``: train's records per source) by more than
    ``mix_tolerance``."""
    problems, previous = [], set()
    overall = pd.Series(source_counts, dtype="float64")
    overall = overall / overall.sum()
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


def whole_rung_problems(listing: pd.DataFrame, source_counts: dict[str, int]) -> list[str]:
    """The rung of every train record, written without holding it: it must count train's records per
    source exactly (then it contains every other rung and keeps the mix); records dropped for their
    length (``over_max_tokens: drop``) are counted in ``dropped_by_source``."""
    total = sum(source_counts.values())
    whole = listing[listing["size"] == total]
    problems = []
    for row in whole.itertuples():
        seen = Counter(json.loads(row.by_source)) + Counter(json.loads(getattr(row, "dropped_by_source", None) or "{}"))
        if dict(sorted(seen.items())) != {source: int(n) for source, n in sorted(source_counts.items())}:
            problems.append(f"rung {row.size} does not hold every train record")
    return problems


# A rung: its records as one frame, or a function that streams them in record-id order in chunks.
Rung = pd.DataFrame | Callable[[], Iterable[pd.DataFrame]]


@dataclass(frozen=True)
class LengthLimit:
    """Records whose whole training example is longer than ``max_tokens`` (``tokenizer``'s tokens):
    counted in each rung (``flag``), or also left out of its file (``drop``)."""

    tokenizer: str
    max_tokens: int
    action: str = "flag"

    def over(self, chunk: pd.DataFrame) -> np.ndarray:
        from curation_assets.core.report.split_profile import example_tokens

        return example_tokens(chunk, self.tokenizer) > self.max_tokens


def write_ladder(rungs: dict[int, Rung], folder: Path, export: ExportConfig,
                 limit: LengthLimit | None = None) -> pd.DataFrame:
    """Each rung as ``train_<size>.jsonl`` in the export format (files of earlier ladders removed);
    the listing: one row per rung with its file's path, sha256, records per source and the records
    over ``limit`` (flagged, or dropped and counted per source in ``dropped_by_source``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("train_*.jsonl"):
        stale.unlink()
    listing = []
    for size, rung in rungs.items():
        path = folder / f"train_{size}.jsonl"
        by_source: Counter = Counter()
        dropped: Counter = Counter()
        over_count = [0]

        def lines(chunks: Iterable[pd.DataFrame]) -> Iterator[str]:
            for chunk in chunks:
                if limit is not None and len(chunk):
                    over = limit.over(chunk)
                    over_count[0] += int(over.sum())
                    if limit.action == "drop":
                        dropped.update(chunk["source"][over].value_counts().to_dict())
                        chunk = chunk[~over]
                by_source.update(chunk["source"].value_counts().to_dict())
                yield from training_lines(chunk, export.format, export.system_prompt)

        write_jsonl_atomically(lines([rung] if isinstance(rung, pd.DataFrame) else rung()), path)
        listing.append({"size": size, "records": sum(by_source.values()), "path": str(path),
                        "sha256": file_sha256(path),
                        "by_source": json.dumps({str(k): int(v) for k, v in sorted(by_source.items())}, sort_keys=True),
                        "over_max_tokens": over_count[0] if limit is not None else None,
                        "dropped_by_source": json.dumps({str(k): int(v) for k, v in sorted(dropped.items())},
                                                        sort_keys=True)})
    return pd.DataFrame(listing, columns=LISTING_COLUMNS).astype({"over_max_tokens": "Int64"})
