"""The records earlier runs published, read only as far as each pass needs them, never whole.

``dedup_history`` grows with every run, so no pass loads it: exact dedup asks which of the
batch's content keys it holds (and gets those keys and record ids only); conflict detection asks
for the rows sharing a prompt or response key with the batch; near-duplicate detection streams
the signatures once, keeps the earlier records sharing an LSH band key with the batch (the only
ones LSH can pair with a batch record: two earlier records are never compared) and reads the
text of those alone. A ``HistorySource`` answers these questions: the warehouse's table
(``storage/dedup_history.py``) or a DataFrame of history rows (``FrameHistory``).

The batch is decided as a whole, so a history row whose record is in the batch plays no part;
rows written under other settings (``history.scheme``) are re-signed from their text first
(``deduplicate``) and take part as re-signed.
"""

from __future__ import annotations

from typing import Iterator, Protocol, Sequence

import numpy as np
import pandas as pd

from curation_assets.core.dedup.history import HISTORY_COLUMNS, decode_signatures
from curation_assets.core.dedup.lsh import band_keys
from curation_assets.core.dedup.minhash import EMPTY

UNIVERSE_COLUMNS = ["record_id", "source", "source_position", "kind", "instruction", "input", "response"]
CONFLICT_COLUMNS = [*UNIVERSE_COLUMNS, "prompt_key", "response_key"]
SIGNATURE_CHUNK_ROWS = 100_000


class HistorySource(Protocol):
    """History rows, each answer in one fixed order of the rows (the warehouse's: by record id)."""

    def is_empty(self) -> bool:
        """Whether there is no row at all, under any scheme."""

    def other_schemes(self, scheme: str) -> pd.DataFrame:
        """Every column of the rows written under another scheme."""

    def content_matches(self, scheme: str, keys: Sequence[str]) -> pd.DataFrame:
        """``content_key`` and ``record_id`` of the rows of ``scheme`` whose content key is in ``keys``."""

    def conflict_candidates(self, scheme: str, prompt_keys: Sequence[str], response_keys: Sequence[str]) -> pd.DataFrame:
        """``CONFLICT_COLUMNS`` of the rows of ``scheme`` sharing a prompt key or a response key."""

    def signature_chunks(self, scheme: str) -> Iterator[pd.DataFrame]:
        """``record_id`` and ``signature`` of every row of ``scheme``, a chunk at a time."""

    def rows(self, record_ids: Sequence[str]) -> pd.DataFrame:
        """``UNIVERSE_COLUMNS`` of these records."""


class FrameHistory:
    """A ``HistorySource`` over history rows held in memory (a test's, or rows made in this run)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame.loc[:, list(HISTORY_COLUMNS)].reset_index(drop=True)

    def is_empty(self) -> bool:
        return self._frame.empty

    def _of(self, scheme: str) -> pd.DataFrame:
        return self._frame[(self._frame["scheme"] == scheme).to_numpy()]

    def other_schemes(self, scheme: str) -> pd.DataFrame:
        return self._frame[(self._frame["scheme"] != scheme).to_numpy()]

    def content_matches(self, scheme: str, keys: Sequence[str]) -> pd.DataFrame:
        rows = self._of(scheme)
        return rows.loc[rows["content_key"].isin(keys).to_numpy(), ["content_key", "record_id"]]

    def conflict_candidates(self, scheme: str, prompt_keys: Sequence[str], response_keys: Sequence[str]) -> pd.DataFrame:
        rows = self._of(scheme)
        sharing = rows["prompt_key"].isin(prompt_keys) | rows["response_key"].isin(response_keys)
        return rows.loc[sharing.to_numpy(), CONFLICT_COLUMNS]

    def signature_chunks(self, scheme: str) -> Iterator[pd.DataFrame]:
        rows = self._of(scheme)
        for start in range(0, len(rows), SIGNATURE_CHUNK_ROWS):
            yield rows.iloc[start : start + SIGNATURE_CHUNK_ROWS].loc[:, ["record_id", "signature"]]

    def rows(self, record_ids: Sequence[str]) -> pd.DataFrame:
        return self._frame.loc[self._frame["record_id"].isin(record_ids).to_numpy(), UNIVERSE_COLUMNS]


class EarlierRecords:
    """What a batch is compared with: the rows of ``source`` under the current ``scheme``, then the
    rows re-signed in this run (``redone``); never a record of the batch."""

    def __init__(self, source: HistorySource, scheme: str, batch_ids: pd.Series, redone: pd.DataFrame) -> None:
        self._source, self._scheme = source, scheme
        self._batch = pd.Index(batch_ids.astype(str).to_numpy())
        self._redone = FrameHistory(redone)
        self.compared = 0  # earlier records LSH was run against (set by ``sharing_a_band``)

    def _outside_batch(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[~pd.Index(frame["record_id"].astype(str).to_numpy()).isin(self._batch)]

    def _both(self, ask) -> pd.DataFrame:
        parts = [self._outside_batch(ask(source)) for source in (self._source, self._redone)]
        return _concat(parts)

    def content_matches(self, keys: Sequence[str]) -> pd.Series:
        """Per content key of ``keys`` found, the first earlier record holding it."""
        found = self._both(lambda source: source.content_matches(self._scheme, keys))
        return found.drop_duplicates("content_key").set_index("content_key")["record_id"]

    def conflict_candidates(self, prompt_keys: Sequence[str], response_keys: Sequence[str]) -> pd.DataFrame:
        return self._both(lambda source: source.conflict_candidates(self._scheme, prompt_keys, response_keys))

    def signature_chunks(self) -> Iterator[tuple[pd.DataFrame, bool]]:
        """``record_id`` and ``signature`` of every earlier record, in history order, a chunk at a time,
        each with whether it is a row re-signed in this run; counts them in ``compared``."""
        self.compared = 0
        for source in (self._source, self._redone):
            for chunk in source.signature_chunks(self._scheme):
                chunk = self._outside_batch(chunk).reset_index(drop=True)
                self.compared += len(chunk)
                yield chunk, source is self._redone

    def universe_rows(self, found: pd.DataFrame, redone: np.ndarray) -> pd.DataFrame:
        """``UNIVERSE_COLUMNS`` and ``signature`` of the earlier records ``found`` (``record_id`` and
        ``signature``, in history order; ``redone`` marks the rows re-signed in this run)."""
        ids = found["record_id"]
        texts = _concat([self._source.rows(ids[~redone].tolist()), self._redone.rows(ids[redone].tolist())])
        return found.merge(texts, on="record_id", how="left", validate="one_to_one").loc[:, [*UNIVERSE_COLUMNS, "signature"]]

    def sharing_a_band(self, batch_band_keys: np.ndarray, bands: int, rows: int, num_perm: int) -> pd.DataFrame:
        """``UNIVERSE_COLUMNS`` and ``signature`` of the earlier records (with shingles) that share a band key
        with one of ``batch_band_keys`` (documents × bands), in history order."""
        wanted = [np.unique(batch_band_keys[:, band]) for band in range(bands)]
        picked: list[pd.DataFrame] = []
        redone: list[np.ndarray] = []
        for chunk, resigned in self.signature_chunks():
            signatures = decode_signatures(chunk["signature"].tolist(), num_perm)
            keys = band_keys(signatures, bands, rows)
            shares = np.zeros(len(chunk), dtype=bool)
            for band in range(bands):
                shares |= _contains(wanted[band], keys[:, band])
            shares &= (signatures != EMPTY).any(axis=1)
            picked.append(chunk[shares])
            redone.append(np.full(int(shares.sum()), resigned))
        found = pd.concat(picked, ignore_index=True) if picked else pd.DataFrame(columns=["record_id", "signature"])
        return self.universe_rows(found, np.concatenate(redone) if redone else np.zeros(0, bool))


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat([part for part in parts if len(part)] or parts[:1], ignore_index=True)


def _contains(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    if len(sorted_values) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[at] == values
