"""A dedup batch's MinHash signatures kept on local disk, read back for the documents a decision
looks at.

At a million records the signatures are half a gigabyte, twice what the rest of the batch's slim
rows take, and a decision needs few of them: LSH works on band keys (computed where each shard is
signed), and only the documents of candidate pairs need their signature (the MinHash estimate
beside the exact Jaccard). So each signed shard's signatures go to a Parquet file of their own as
the shard arrives (``spill``), with the keys ``dedup_history`` stores beside them, so that the
history insert reads both straight from the files with DuckDB; the decision reads back, one file
at a time, the signatures of the documents it asks for, and keeps those.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ContextManager, Iterator, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SPILL_COLUMNS = ("record_id", "content_key", "prompt_key", "response_key", "signature")
# Row groups of 4 MB of signatures: a read-back of a few rows decodes little more than those.
ROW_GROUP_ROWS = 8192


@dataclass(frozen=True)
class SpilledFile:
    """Where a signed shard's signatures were spilled (a path of the store the batch reads them from)."""

    path: str


class ParquetOpener(Protocol):
    def parquet_file(self, path: str) -> ContextManager[pq.ParquetFile]: ...


def spill(rows: pd.DataFrame, signatures: np.ndarray, path: Path | str, filesystem=None) -> None:
    """One signed shard's keys and signatures (``rows`` in the shard's row order) as a Parquet file
    (of ``filesystem``, a pyarrow filesystem, when given)."""
    values = np.ascontiguousarray(signatures, dtype="<u4")
    width = values.shape[1] * 4
    offsets = pa.py_buffer(np.arange(len(rows) + 1, dtype=np.int32) * width)
    blobs = pa.BinaryArray.from_buffers(pa.binary(), len(rows), [None, offsets, pa.py_buffer(values)])
    table = pa.table({
        **{column: pa.array(rows[column].to_numpy(dtype=object), pa.string()) for column in SPILL_COLUMNS[:-1]},
        "signature": blobs,
    })
    # Uncompressed: MinHash values do not compress, and reading them back should cost no decoding.
    pq.write_table(table, str(path), filesystem=filesystem, compression="none", row_group_size=ROW_GROUP_ROWS)


class SpilledSignatures:
    """The signatures of a batch's rows by position (``signatures[positions]``, as an array's), kept
    in one spill file per shard; a row's file and place are its ``shard`` and ``shard_row``."""

    def __init__(self, files: dict[int, Path | str], shard: np.ndarray, shard_row: np.ndarray, num_perm: int,
                 store: ParquetOpener | None = None) -> None:
        self.files, self._store = files, store
        self._shard, self._shard_row, self._num_perm = shard, shard_row, num_perm
        self._known = np.zeros(0, dtype=np.int64)
        self._values = np.zeros((0, num_perm), dtype=np.uint32)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self._shard), self._num_perm

    def __len__(self) -> int:
        return len(self._shard)

    def prefetch(self, positions: np.ndarray) -> None:
        """Read the signatures at ``positions`` now, in one pass over the files, and keep them."""
        missing = np.setdiff1d(np.asarray(positions, dtype=np.int64), self._known)
        if len(missing) == 0:
            return
        values = np.empty((len(missing), self._num_perm), dtype=np.uint32)
        shards = self._shard[missing]
        for shard in np.unique(shards):
            at = np.flatnonzero(shards == shard)
            rows = self._shard_row[missing[at]]
            order = np.argsort(rows, kind="stable")
            with _opened(self.files[int(shard)], self._store) as parquet:
                values[at[order]] = _read_signatures(parquet, rows[order], self._num_perm)
        known = np.concatenate((self._known, missing))
        order = np.argsort(known, kind="stable")
        self._known, self._values = known[order], np.concatenate((self._values, values))[order]

    def __getitem__(self, positions) -> np.ndarray:
        positions = np.asarray(positions, dtype=np.int64)
        self.prefetch(np.unique(positions))
        return self._values[np.searchsorted(self._known, positions)]


@contextmanager
def _opened(path: Path | str, store: ParquetOpener | None) -> Iterator[pq.ParquetFile]:
    if store is None:
        yield pq.ParquetFile(path)
    else:
        with store.parquet_file(str(path)) as parquet:
            yield parquet


def _read_signatures(parquet: pq.ParquetFile, rows: np.ndarray, num_perm: int) -> np.ndarray:
    """The signatures at ``rows`` (ascending) of one spill file, reading only the row groups holding them."""
    sizes = [parquet.metadata.row_group(group).num_rows for group in range(parquet.metadata.num_row_groups)]
    starts = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    group_of = np.searchsorted(starts, rows, side="right") - 1
    found = np.empty((len(rows), num_perm), dtype=np.uint32)
    for group in np.unique(group_of):
        at = np.flatnonzero(group_of == group)
        column = parquet.read_row_group(int(group), columns=["signature"]).column(0).combine_chunks()
        first_byte = int(np.frombuffer(column.buffers()[1], dtype=np.int32)[column.offset])
        data = np.frombuffer(column.buffers()[2], dtype="<u4", count=len(column) * num_perm, offset=first_byte)
        block = data.reshape(len(column), num_perm)
        found[at] = block[rows[at] - starts[group]]
    return found
