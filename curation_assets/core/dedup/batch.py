"""A dedup batch as dedup decides over it: per record what ranks it, its keys and its MinHash
signature, without its text.

Every dedup decision is global (a record's duplicate can be anywhere in the batch), but none needs
every text at once: exact dedup and conflicts compare keys, LSH compares signatures, and only the
candidate pairs LSH proposes are verified on their text. So each shard is signed on its own
(``sign_records``, a worker's task: the texts are normalized, tokenized and shingled there, once),
the slim rows of all shards are combined (``combine``, about 300 bytes a record with the LSH band
keys, against about 1 KB of text and several KB of shingles), the signatures are put aside on disk
as each shard arrives (``spilled.py``), and the decision reads texts and signatures back by
location (``core/located.py``) for the few records it looks at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from curation_assets.core.dedup.keep import repairs_of
from curation_assets.core.dedup.keys import turn_texts, KEY_COLUMNS, record_keys
from curation_assets.core.located import LOCATION_COLUMNS
from curation_assets.core.memory import return_free_memory
from curation_assets.core.dedup.settings import DedupConfig
from curation_assets.core.dedup.lsh import band_keys, banding
from curation_assets.core.dedup.signing import ShingleSpec, sign_texts, worker_count
from curation_assets.core.dedup.spilled import ParquetOpener, SpilledFile, SpilledSignatures
from curation_assets.core.rules import run_rules
from curation_assets.core.text.repetition import GopherRepetition

STAGE = "dedup"
RANK_COLUMNS = ["record_id", "source", "source_position", "kind", "response_chars", "repairs"]
REPETITION_COLUMNS = ["repetition_reason", "repetition_detail"]
BATCH_COLUMNS = [*RANK_COLUMNS, *KEY_COLUMNS, "has_shingles", *REPETITION_COLUMNS, *LOCATION_COLUMNS]


@dataclass
class DedupBatch:
    """``rows`` (``BATCH_COLUMNS``, a RangeIndex: a row's position), their MinHash ``signatures`` and
    LSH ``band_keys`` by position (the signatures in memory, or spilled to disk)."""

    rows: pd.DataFrame
    signatures: np.ndarray | SpilledSignatures | SpilledFile
    band_keys: np.ndarray | None  # rows × bands, uint64; None where they were shuffled (engine/band_shuffle.py)

    def __len__(self) -> int:
        return len(self.rows)


def spec_of(settings: DedupConfig) -> ShingleSpec:
    near = settings.near_duplicates
    return ShingleSpec(near.shingle_kind, near.shingle_size, near.num_perm, near.seed)


def bands_of(settings: DedupConfig) -> tuple[int, int]:
    near = settings.near_duplicates
    return banding(near.threshold, near.num_perm, near.lsh_weights)


def joined_texts(frame: pd.DataFrame, fields: Sequence[str]) -> list[str]:
    """Per record its ``fields`` joined by newlines, after a conversation's earlier user turns and before
    a pair's rejected answer: the text near-duplicates are judged on."""
    columns = [frame[field].fillna("").astype(str).tolist() for field in fields]
    joined = ["\n".join(parts) for parts in zip(*columns)]
    joined = [f"{turns}\n{text}" if turns else text for turns, text in zip(turn_texts(frame, ("user",)), joined)]
    if "rejected_response" in frame:  # a pair is the same pair only with the same rejected answer too
        joined = [f"{text}\n{rejected}" if rejected else text
                  for text, rejected in zip(joined, frame["rejected_response"].fillna("").tolist())]
    return joined


def sign_records(records: pd.DataFrame, settings: DedupConfig, shard: int = 0, workers: int = 1) -> DedupBatch:
    """The batch rows of ``records`` (one shard, or a whole batch held in memory), in their order."""
    keys = record_keys(records, settings.fields, settings.compared_roles)
    shingles, signatures = sign_texts(joined_texts(records, settings.near_duplicates.fields), spec_of(settings),
                                      worker_count(workers))
    reasons = pd.Series([None] * len(records), dtype=object)
    details = pd.Series([None] * len(records), dtype=object)
    if settings.repetition.enabled and len(records):
        repeated = run_rules(records, [GopherRepetition("repetition", settings.repetition)], STAGE).rejected
        at = pd.Index(records["record_id"].astype(str).to_numpy()).get_indexer(repeated["record_id"].astype(str))
        reasons.iloc[at] = repeated["reason"].astype(str).to_numpy()
        details.iloc[at] = repeated["detail"].astype(str).to_numpy()
    rows = pd.DataFrame({
        "record_id": _compact(records["record_id"]),
        "source": _compact(records["source"]),
        "source_position": records["source_position"].astype("int64").to_numpy(),
        "kind": _compact(records["kind"]),
        "response_chars": records["response"].fillna("").astype(str).str.len().astype("int64").to_numpy(),
        "repairs": repairs_of(records["lineage"].tolist()) if "lineage" in records else np.zeros(len(records), np.int64),
        **{column: (_compact(keys[column]) if keys[column].dtype == object else keys[column].to_numpy())
           for column in KEY_COLUMNS},
        "has_shingles": shingles.counts > 0,
        "repetition_reason": reasons.to_numpy(),
        "repetition_detail": details.to_numpy(),
        "shard": np.full(len(records), shard, dtype=np.int32),
        "shard_row": np.arange(len(records), dtype=np.int64),
    }, columns=BATCH_COLUMNS)
    return DedupBatch(rows, signatures, band_keys(signatures, *bands_of(settings)))


def _compact(values: pd.Series) -> pd.arrays.ArrowStringArray:
    """Strings in one Arrow buffer (about 30 bytes for a 24-character key, against 80 as Python
    objects): a million records' rows are what one process holds while deciding."""
    return pd.array(values.astype(str).to_numpy(dtype=object), dtype="string[pyarrow]")


def combine(parts: Iterable[DedupBatch], num_perm: int, bands: int, store: ParquetOpener | None = None) -> DedupBatch:
    """The shards' rows as one batch, ordered by record id (the order a batch read whole has).

    ``parts`` are taken one by one (a list is emptied), so each shard's rows are freed once combined.
    Signatures a part spilled (``SpilledFile``, in ``store``) stay there and the batch reads them
    back on demand (``SpilledSignatures``) instead of holding them."""
    rows, keys, signatures, files = [], [], [], {}
    for part in parts:
        if not len(part):
            continue
        if isinstance(part.signatures, SpilledFile):
            files[int(part.rows["shard"].iloc[0])] = part.signatures.path
        else:
            signatures.append(part.signatures)
        rows.append(part.rows)
        keys.append(part.band_keys)
    if isinstance(parts, list):
        parts.clear()
    if not rows:
        return DedupBatch(pd.DataFrame({column: [] for column in BATCH_COLUMNS}), np.zeros((0, num_perm), np.uint32),
                          np.zeros((0, bands), np.uint64))
    if files and signatures:
        raise ValueError("a batch's signatures are all spilled or all in memory")
    combined = pd.concat(rows, ignore_index=True)
    rows.clear()
    order = np.argsort(combined["record_id"].to_numpy(dtype=object), kind="stable")
    combined = combined.iloc[order].reset_index(drop=True)
    ordered_keys = None if any(part is None for part in keys) else np.concatenate(keys)[order]
    keys.clear()
    return_free_memory()  # what the shards' rows took as they arrived
    if not files:
        return DedupBatch(combined, np.concatenate(signatures)[order], ordered_keys)
    spilled = SpilledSignatures(files, combined["shard"].to_numpy(), combined["shard_row"].to_numpy(), num_perm, store)
    return DedupBatch(combined, spilled, ordered_keys)
