"""What earlier runs published, kept so that a new batch is deduplicated against all of it.

One row per record the dedup stage has kept, in any run: its text (to verify candidate pairs on
exact Jaccard, to show examples, and to re-sign it if the shingling settings change), the keys
exact dedup and conflict detection compare, and its MinHash signature with the settings that
made it (``scheme``).

The rule that keeps re-runs idempotent: the batch being deduplicated is decided as a whole, so a
history row whose record is in the batch plays no part (it is not its own duplicate), and after
publishing, the batch's rows are replaced by the records it kept.
"""

from __future__ import annotations

import json
from typing import Sequence

import numpy as np
import pandas as pd

from curation_assets.core.dedup.settings import NearDuplicatesConfig
from curation_assets.core.dedup.keys import keys_of

HISTORY_COLUMNS = (
    "record_id",
    "source",
    "source_position",
    "kind",
    "instruction",
    "input",
    "response",
    "content_key",
    "prompt_key",
    "response_key",
    "scheme",
    "signature",
)


def scheme(settings: NearDuplicatesConfig, exact_fields: Sequence[str]) -> str:
    """Everything a row's keys and signature depend on; rows of another scheme are recomputed, not compared."""
    return json.dumps(
        {"fields": list(settings.fields), "kind": settings.shingle_kind, "size": settings.shingle_size,
         "num_perm": settings.num_perm, "seed": settings.seed, "minhash": "datasketch-affine32",
         "exact_fields": list(exact_fields), "version": 1},
        sort_keys=True,
    )


def encode_signatures(signatures: np.ndarray) -> list[bytes]:
    return [row.astype("<u4").tobytes() for row in signatures]


def decode_signatures(blobs: Sequence[bytes], num_perm: int) -> np.ndarray:
    if len(blobs) == 0:
        return np.zeros((0, num_perm), dtype=np.uint32)
    return np.frombuffer(b"".join(bytes(blob) for blob in blobs), dtype="<u4").reshape(-1, num_perm).astype(np.uint32)


def empty_history() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series([], dtype="int64" if column == "source_position" else object)
                         for column in HISTORY_COLUMNS})


def history_rows(kept: pd.DataFrame, signatures: np.ndarray, keys: pd.DataFrame, row_scheme: str) -> pd.DataFrame:
    """The history rows for records kept by this run (``signatures`` aligned with ``kept``, ``keys``
    their ``record_keys``)."""
    if kept.empty:
        return empty_history()
    rows = kept.loc[:, ["record_id", "source", "source_position", "kind", "instruction", "input", "response"]].copy()
    own = keys_of(keys, kept)
    for column in ("content_key", "prompt_key", "response_key"):
        rows[column] = own[column].to_numpy()
    rows["scheme"] = row_scheme
    rows["signature"] = encode_signatures(np.asarray(signatures))
    return rows.loc[:, list(HISTORY_COLUMNS)].reset_index(drop=True)
