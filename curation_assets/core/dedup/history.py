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

import hashlib
import json
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from curation_assets.core.dedup.settings import NearDuplicatesConfig
from curation_assets.core.text.tokens import words
from curation_assets.core.records import content_key

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


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def content_keys(frame: pd.DataFrame, fields: Sequence[str]) -> pd.Series:
    """What exact dedup compares: the normalized fields (NFKC, casefold, whitespace)."""
    if frame.empty:
        return pd.Series([], dtype=object)
    return content_key(frame, list(fields)).map(_digest)


def prompt_keys(frame: pd.DataFrame) -> pd.Series:
    """The normalized instruction + input: 'the same prompt' for conflict detection."""
    return content_keys(frame, ["instruction", "input"])


def response_token_key(response: str) -> str:
    """The response's words (case, punctuation and spacing aside): 'the same response'."""
    return _digest(" ".join(words(response)))


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


def history_rows(kept: pd.DataFrame, signatures: np.ndarray, exact_fields: Sequence[str],
                 settings: NearDuplicatesConfig) -> pd.DataFrame:
    """The history rows for records kept by this run (``signatures`` aligned with ``kept``)."""
    if kept.empty:
        return empty_history()
    signatures = np.asarray(signatures)
    rows = kept.loc[:, ["record_id", "source", "source_position", "kind", "instruction", "input", "response"]].copy()
    rows["content_key"] = content_keys(kept, exact_fields).to_numpy()
    rows["prompt_key"] = prompt_keys(kept).to_numpy()
    rows["response_key"] = kept["response"].fillna("").map(response_token_key).to_numpy()
    rows["scheme"] = scheme(settings, exact_fields)
    rows["signature"] = encode_signatures(signatures)
    return rows.loc[:, list(HISTORY_COLUMNS)].reset_index(drop=True)


def refresh(history: pd.DataFrame, exact_fields: Sequence[str], settings: NearDuplicatesConfig,
            sign: Callable[[pd.DataFrame], np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History with every row of another scheme recomputed from its text; and the recomputed rows."""
    current = scheme(settings, exact_fields)
    stale = (history["scheme"] != current).to_numpy()
    if not stale.any():
        return history, empty_history()
    redone = history_rows(history[stale], sign(history[stale]), exact_fields, settings)
    fresh = pd.concat([history[~stale], redone], ignore_index=True).loc[:, list(HISTORY_COLUMNS)]
    return fresh, redone
