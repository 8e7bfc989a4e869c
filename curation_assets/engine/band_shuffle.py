"""The LSH band-key shuffle of a dedup decision: map, shuffle by key, reduce, on the engine's workers.

1. **map**: where a shard is signed (``SignAndShuffle``, a worker's task), its documents' band keys
   become entries (core/dedup/band_buckets.py) written to one file in the record store, one Parquet
   row group per partition of band key. The earlier-published records' band keys are written the
   same way by the deciding process as it streams their signatures from the warehouse, a chunk at
   a time (the history lives in the warehouse file, which only that process opens).
2. **reduce**: one task per partition reads that row group of every file, so it holds whole buckets,
   and answers with its candidate pairs and the earlier records its buckets hold.
3. The deciding process maps the pairs to the universe's positions (``ShuffledIndex``): the same
   pairs ``candidate_pairs`` gives over every key in one process, which it no longer holds.

The files live in the step's scratch folder of the record store (``ShardStore.scratch_folder``), so
workers on other machines read and write them as they do shards; it is removed when the step ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from curation_assets.core.dedup.band_buckets import (
    BucketCandidates, Entries, batch_entries, batch_ref, bucket_candidates, earlier_entries, merged, universe_pairs)
from curation_assets.core.dedup.batch import DedupBatch, sign_records
from curation_assets.core.dedup.earlier import UNIVERSE_COLUMNS, EarlierRecords
from curation_assets.core.dedup.history import decode_signatures
from curation_assets.core.dedup.lsh import band_keys
from curation_assets.core.dedup.minhash import EMPTY
from curation_assets.core.dedup.spilled import SpilledFile, spill
from curation_assets.engine.pool import map_tasks
from curation_assets.engine.progress import tracked
from curation_assets.storage.shards import ShardSize, ShardStore

ENTRY_SCHEMA = pa.schema([("band", pa.int16()), ("key", pa.uint64()), ("ref", pa.int64()), ("group", pa.uint8()),
                          ("order_0", pa.uint64()), ("order_1", pa.uint64()), ("order_2", pa.uint64())])


def write_entries(store: ShardStore, path: str, entries: Entries, partitions: int) -> str:
    """``entries`` as one file: row group p holds partition p's (empty if it has none)."""
    partition = entries.partition_of(partitions)
    order = np.argsort(partition, kind="stable")
    entries, bounds = entries.take(order), np.searchsorted(partition[order], np.arange(partitions + 1))
    table = pa.table({"band": entries.band, "key": entries.key, "ref": entries.ref, "group": entries.group,
                      "order_0": entries.order[:, 0], "order_1": entries.order[:, 1], "order_2": entries.order[:, 2]},
                     schema=ENTRY_SCHEMA)
    with store.filesystem.open_output_stream(store.path_of(path)) as stream, \
            pq.ParquetWriter(stream, ENTRY_SCHEMA, compression="none") as writer:
        for part in range(partitions):
            rows = table.slice(bounds[part], bounds[part + 1] - bounds[part])
            writer.write_table(rows, row_group_size=max(len(rows), 1))
    return path


def read_entries(store: ShardStore, path: str, partition: int) -> Entries:
    with store.parquet_file(path) as parquet:
        table = parquet.read_row_group(partition)
    column = {name: table.column(name).to_numpy() for name in ENTRY_SCHEMA.names}
    order = np.stack((column["order_0"], column["order_1"], column["order_2"]), axis=1).astype(np.uint64)
    return Entries(column["band"].astype(np.int16), column["key"].astype(np.uint64), column["ref"].astype(np.int64),
                   column["group"].astype(np.uint8), order.reshape(-1, 3))


def _write_refs(store: ShardStore, path: str, refs: np.ndarray) -> str:
    pq.write_table(pa.table({"ref": np.sort(np.asarray(refs, np.int64))}), store.path_of(path),
                   filesystem=store.filesystem)
    return path


def _read_refs(store: ShardStore, path: str) -> np.ndarray:
    return store.read_part_table(path).column("ref").to_numpy().astype(np.int64)


@dataclass(frozen=True)
class BandShuffle:
    """One decision's shuffle: its ``folder`` (a scratch folder of the record store at ``shards_uri``,
    which outlives the decision: the publish reads the signatures there) and how many partitions the
    band keys are cut into."""

    shards_uri: str
    folder: str
    partitions: int

    def store(self) -> ShardStore:
        return ShardStore(self.shards_uri, ShardSize())

    def batch_file(self, shard: int) -> str:
        return f"{self.folder}/batch-{shard:05d}.parquet"

    def signature_file(self, shard: int) -> str:
        return f"{self.folder}/signatures-{shard:05d}.parquet"


@dataclass(frozen=True)
class SignAndShuffle:
    """A worker's map task: one shard signed (core/dedup/batch.py), its band keys written as entries
    and its signatures spilled to the record store instead of returned, so the deciding process
    holds neither (it reads back the signatures of the documents it looks at)."""

    shuffle: BandShuffle

    def __call__(self, shard: pd.DataFrame, index: int, config) -> DedupBatch:
        signed = sign_records(shard, config.dedup, shard=index)
        rows, store = signed.rows, self.shuffle.store()
        refs = batch_ref(rows["shard"].to_numpy(), rows["shard_row"].to_numpy())
        entries = batch_entries(signed.band_keys, refs, rows["record_id"].to_numpy(dtype=object),
                                rows["has_shingles"].to_numpy(dtype=bool))
        write_entries(store, self.shuffle.batch_file(index), entries, self.shuffle.partitions)
        path = self.shuffle.signature_file(index)
        spill(rows, signed.signatures, store.path_of(path), store.filesystem)
        return DedupBatch(rows, SpilledFile(path), None)


@dataclass(frozen=True)
class ReduceTask:
    shards_uri: str
    files: tuple[str, ...]
    partition: int
    taking_part: str  # the file of the batch references that take part


def reduce_partition(task: ReduceTask) -> BucketCandidates:
    """A reducer: partition ``task.partition`` of every entry file, its buckets' candidates."""
    store = ShardStore(task.shards_uri, ShardSize())
    entries = Entries.concatenate([read_entries(store, path, task.partition) for path in task.files])
    return bucket_candidates(entries, _read_refs(store, task.taking_part))


class ShuffledIndex:
    """A ``CandidateIndex`` (core/dedup/near_dup.py) whose pairs come from the reducers."""

    def __init__(self, shuffle: BandShuffle, batch_files: list[str], records: pd.DataFrame,
                 earlier: EarlierRecords | None, bands: tuple[int, int], num_perm: int, workers: int,
                 scratch: Path) -> None:
        self._shuffle, self._workers = shuffle, workers
        self._store = shuffle.store()
        self._refs = batch_ref(records["shard"].to_numpy(), records["shard_row"].to_numpy())
        self._rounds = 0
        earlier_files, self._earlier_chunks = ([], []) if earlier is None else self._write_earlier(
            earlier, bands, num_perm, scratch)
        self._files = tuple(batch_files + earlier_files)
        self.compared = 0 if earlier is None else earlier.compared
        found = self._reduce(self._refs)
        self._ordinals = -found.earlier_refs[::-1] - 1  # ascending
        self.earlier = self._earlier_rows(earlier)
        self._first = universe_pairs(found, self._refs, self._ordinals)

    def _write_earlier(self, earlier: EarlierRecords, bands: tuple[int, int], num_perm: int,
                       scratch: Path) -> tuple[list[str], list[tuple[int, Path]]]:
        """The earlier records' entries, a file per history chunk; each chunk's ids and signatures
        kept on local disk (with where its ordinals start), to read back those the reducers meet."""
        files, chunks, start = [], [], 0
        for number, (chunk, resigned) in enumerate(earlier.signature_chunks()):
            signatures = decode_signatures(chunk["signature"].tolist(), num_perm)
            entries = earlier_entries(band_keys(signatures, *bands), start + np.arange(len(chunk)),
                                      (signatures != EMPTY).any(axis=1))
            files.append(write_entries(self._store, f"{self._shuffle.folder}/earlier-{number:05d}.parquet", entries,
                                       self._shuffle.partitions))
            local = scratch / f"earlier-{number:05d}.parquet"
            pq.write_table(pa.Table.from_pandas(chunk.loc[:, ["record_id", "signature"]].assign(redone=resigned),
                                                preserve_index=False), local)
            chunks.append((start, local))
            start += len(chunk)
        return files, chunks

    def _earlier_rows(self, earlier: EarlierRecords | None) -> pd.DataFrame:
        if earlier is None:
            return pd.DataFrame({column: [] for column in UNIVERSE_COLUMNS + ["signature"]})
        starts = np.array([start for start, _ in self._earlier_chunks] + [np.iinfo(np.int64).max])
        parts = []
        for number, (start, path) in enumerate(self._earlier_chunks):
            wanted = self._ordinals[(self._ordinals >= start) & (self._ordinals < starts[number + 1])] - start
            if len(wanted):
                parts.append(pq.read_table(path).take(pa.array(wanted)).to_pandas())
        found = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            {"record_id": pd.Series([], dtype=object), "signature": pd.Series([], dtype=object),
             "redone": pd.Series([], dtype=bool)})
        return earlier.universe_rows(found.loc[:, ["record_id", "signature"]], found["redone"].to_numpy(dtype=bool))

    def _reduce(self, taking_part: np.ndarray) -> BucketCandidates:
        self._rounds += 1
        refs = _write_refs(self._store, f"{self._shuffle.folder}/taking-part-{self._rounds}.parquet", taking_part)
        tasks = [ReduceTask(self._shuffle.shards_uri, self._files, partition, refs)
                 for partition in range(self._shuffle.partitions)]
        return merged(list(tracked(map_tasks(reduce_partition, tasks, self._workers), "deduplicated: band buckets",
                                   len(tasks), "partitions")))

    def pairs(self, members: np.ndarray | None = None) -> np.ndarray:
        if members is None:
            return self._first
        return universe_pairs(self._reduce(self._refs[members]), self._refs, self._ordinals)
