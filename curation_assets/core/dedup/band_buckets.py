"""LSH buckets formed by partition of band key, so that no process holds every document's keys.

``candidate_pairs`` (lsh.py) sorts every band key of a batch in one process: at 100M records that
is about 7 GB of keys and a sort of 900M entries on one core. Here each document's band keys
become *entries* (band, key, document, document order), written where the document was signed and
cut into partitions by key; a reducer takes one partition of every writer's entries, so it holds
whole buckets, and proposes the same pairs ``candidate_pairs`` would for those buckets:

- a bucket's members are ordered as the batch orders documents: the batch's (by record id) first,
  then earlier-published records (by their place in the history), so a crowded bucket pairs each
  member with the same ``MAX_BUCKET_NEIGHBOURS`` successors;
- only buckets holding a batch document count, and only pairs with a batch document in them
  (two earlier records are never compared); the earlier records met in those buckets are the ones
  the decision reads (``EarlierRecords.sharing_a_band`` finds the same set by streaming).

A document is named by a *reference*: ``shard << 32 | row`` for a batch document (where it was
signed), ``-(ordinal + 1)`` for the ordinal-th earlier record of the history stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curation_assets.core.dedup.lsh import neighbour_pairs, unique_pairs

ENTRY_FIELDS = ("band", "key", "ref", "group", "order_0", "order_1", "order_2")
BATCH, EARLIER = 0, 1
# Record ids are compared as Python compares strings; their UTF-8 bytes, zero-padded to this many,
# read as big-endian integers, compare the same way.
ORDER_BYTES = 24


@dataclass
class Entries:
    """One entry per (document, band): columns of equal length."""

    band: np.ndarray  # int16
    key: np.ndarray  # uint64
    ref: np.ndarray  # int64
    group: np.ndarray  # uint8: BATCH or EARLIER
    order: np.ndarray  # (entries × 3) uint64: the document's place among its group's

    def __len__(self) -> int:
        return len(self.key)

    def take(self, index: np.ndarray) -> "Entries":
        return Entries(self.band[index], self.key[index], self.ref[index], self.group[index], self.order[index])

    @staticmethod
    def concatenate(parts: list["Entries"]) -> "Entries":
        if not parts:
            return _entries(np.zeros((0, 1), np.uint64), np.zeros(0, np.int64), BATCH, np.zeros((0, 3), np.uint64))
        return Entries(*(np.concatenate([getattr(part, name) for part in parts])
                         for name in ("band", "key", "ref", "group", "order")))

    def partition_of(self, partitions: int) -> np.ndarray:
        return (self.key % np.uint64(partitions)).astype(np.int64)


def batch_ref(shard: np.ndarray, row: np.ndarray) -> np.ndarray:
    return (np.asarray(shard, np.int64) << 32) | np.asarray(row, np.int64)


def earlier_ref(ordinals: np.ndarray) -> np.ndarray:
    return -(np.asarray(ordinals, np.int64) + 1)


def id_order(record_ids) -> np.ndarray:
    """(ids × 3) uint64 that sort as the ids do (ids of at most ``ORDER_BYTES`` UTF-8 bytes)."""
    encoded = [str(value).encode("utf-8") for value in record_ids]
    if encoded and max(map(len, encoded)) > ORDER_BYTES:
        raise ValueError(f"record ids longer than {ORDER_BYTES} bytes cannot be ordered in a band shuffle")
    packed = np.array(encoded, dtype=f"S{ORDER_BYTES}") if encoded else np.zeros(0, f"S{ORDER_BYTES}")
    return packed.view(">u8").reshape(-1, 3).astype(np.uint64)


def _entries(keys: np.ndarray, refs: np.ndarray, group: int, order: np.ndarray) -> Entries:
    documents, bands = keys.shape
    return Entries(
        band=np.tile(np.arange(bands, dtype=np.int16), documents),
        key=np.ascontiguousarray(keys, dtype=np.uint64).reshape(-1),
        ref=np.repeat(refs.astype(np.int64), bands),
        group=np.full(documents * bands, group, dtype=np.uint8),
        order=np.repeat(order, bands, axis=0),
    )


def batch_entries(keys: np.ndarray, refs: np.ndarray, record_ids, eligible: np.ndarray) -> Entries:
    """Entries of the batch documents ``eligible`` (those with shingles): ``keys`` (documents × bands)."""
    eligible = np.asarray(eligible, dtype=bool)
    ids = np.asarray(record_ids, dtype=object)[eligible]
    return _entries(keys[eligible], refs[eligible], BATCH, id_order(ids))


def earlier_entries(keys: np.ndarray, ordinals: np.ndarray, eligible: np.ndarray) -> Entries:
    """Entries of earlier records (history ordinals ``ordinals``) that are ``eligible`` (not empty)."""
    eligible = np.asarray(eligible, dtype=bool)
    ordinals = np.asarray(ordinals, dtype=np.int64)[eligible]
    order = np.zeros((len(ordinals), 3), dtype=np.uint64)
    order[:, 0] = ordinals.astype(np.uint64)
    return _entries(keys[eligible], earlier_ref(ordinals), EARLIER, order)


@dataclass
class BucketCandidates:
    """A reducer's answer: candidate pairs as (earlier, later) references, the earlier one a batch
    document's; and the earlier records met in buckets holding a batch document."""

    pairs: np.ndarray  # (pairs × 2) int64 references
    earlier_refs: np.ndarray  # sorted, distinct


def bucket_candidates(entries: Entries, taking_part: np.ndarray | None = None) -> BucketCandidates:
    """The candidate pairs of whole buckets: ``entries`` hold every entry of each bucket they touch.
    ``taking_part`` (sorted batch references) leaves the other batch documents out."""
    # Most entries are alone in their bucket: keep only keys met twice or more before the full sort.
    by_key = np.argsort(entries.key, kind="stable")
    sorted_keys = entries.key[by_key]
    repeated = np.zeros(len(sorted_keys), dtype=bool)
    repeated[1:] = sorted_keys[1:] == sorted_keys[:-1]
    repeated[:-1] |= repeated[1:]
    entries = entries.take(np.sort(by_key[repeated]))
    if taking_part is not None:
        is_batch = entries.group == BATCH
        at = np.minimum(np.searchsorted(taking_part, entries.ref), max(len(taking_part) - 1, 0))
        found = taking_part[at] == entries.ref if len(taking_part) else np.zeros(len(entries), bool)
        entries = entries.take(np.flatnonzero(~is_batch | found))
    order = np.lexsort((entries.order[:, 2], entries.order[:, 1], entries.order[:, 0], entries.group,
                        entries.key, entries.band))
    band, key, ref, group = entries.band[order], entries.key[order], entries.ref[order], entries.group[order]
    starts = np.ones(len(key), dtype=bool)
    starts[1:] = (band[1:] != band[:-1]) | (key[1:] != key[:-1])
    bucket = np.cumsum(starts) - 1
    # Batch documents sort first in their bucket: a bucket holds one when its first member is one.
    with_batch = (group[starts] == BATCH)[bucket]
    bucket, ref, group = bucket[with_batch], ref[with_batch], group[with_batch]
    pairs = neighbour_pairs(bucket, ref)
    pairs = pairs[pairs[:, 0] >= 0]  # the earlier member is a batch document, or neither is
    return BucketCandidates(pairs, np.unique(ref[group == EARLIER]))


def merged(answers: list[BucketCandidates]) -> BucketCandidates:
    """Reducers' answers as one (a pair met in several bands, by several reducers, once)."""
    pairs = np.concatenate([answer.pairs for answer in answers]) if answers else np.zeros((0, 2), np.int64)
    if len(pairs):
        pairs = np.unique(pairs, axis=0)
    refs = np.unique(np.concatenate([answer.earlier_refs for answer in answers])) if answers else np.zeros(0, np.int64)
    return BucketCandidates(pairs, refs)


def universe_pairs(found: BucketCandidates, batch_refs: np.ndarray, earlier_ordinals: np.ndarray) -> np.ndarray:
    """``found.pairs`` as unique (i, j), i < j, indices of the universe: the batch documents (whose
    references are ``batch_refs``, in batch order) then the earlier records of ``earlier_ordinals``
    (sorted)."""
    by_ref = np.argsort(batch_refs, kind="stable")
    sorted_refs = batch_refs[by_ref]

    def index_of(refs: np.ndarray) -> np.ndarray:
        result = np.empty(len(refs), dtype=np.int64)
        own = refs >= 0
        result[own] = by_ref[np.searchsorted(sorted_refs, refs[own])]
        result[~own] = len(batch_refs) + np.searchsorted(earlier_ordinals, -refs[~own] - 1)
        return result

    pairs = np.stack((index_of(found.pairs[:, 0]), index_of(found.pairs[:, 1])), axis=1).reshape(-1, 2)
    return unique_pairs(pairs, len(batch_refs) + len(earlier_ordinals))
