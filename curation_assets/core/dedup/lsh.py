"""LSH banding over MinHash signatures: datasketch's (bands, rows), numpy-vectorized bucketing.

``MinHashLSH(threshold, num_perm)`` chooses the banding (b bands of r rows) that minimizes the
weighted false-positive and false-negative probabilities; we take that choice from datasketch.
Its insertion and query, one Python call per document and band, cost about 60 µs per document
on this machine (measured in benchmarks/near_dup.py), more than the whole rest of the
pipeline; so the buckets are formed here by sorting each band's hash over all documents at
once. Two documents are candidates exactly when some band of theirs is equal, as in
``MinHashLSH.query`` (a test compares both on the same signatures).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from datasketch import MinHashLSH
from datasketch.minhash import _fmix

from curation_assets.core.arrays import sorted_unique

# A bucket holding more documents than this pairs each with its next ``MAX_BUCKET_NEIGHBOURS``
# members (in document order) instead of with all of them: a template shared by thousands of
# records must not produce millions of candidate pairs. Truly similar documents share many
# bands, so they still meet in some bucket.
MAX_BUCKET_NEIGHBOURS = 64
_BAND_MULTIPLIERS = np.random.default_rng(20261127).integers(1, 1 << 63, size=4096, dtype=np.uint64) | np.uint64(1)


@lru_cache(maxsize=32)
def banding(threshold: float, num_perm: int, weights: tuple[float, float] = (0.5, 0.5)) -> tuple[int, int]:
    """(bands, rows) as datasketch's ``MinHashLSH`` chooses them for this threshold, num_perm and weights."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=tuple(weights))
    return lsh.b, lsh.r


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(documents × bands) uint64: a hash of each band's ``rows`` MinHash values."""
    documents = len(signatures)
    keys = np.zeros((documents, bands), dtype=np.uint64)
    for band in range(bands):
        block = signatures[:, band * rows : (band + 1) * rows].astype(np.uint64)
        keys[:, band] = _fmix(block @ _BAND_MULTIPLIERS[:rows] if documents else np.zeros(0, np.uint64), 64)
    return keys


def candidate_pairs(keys: np.ndarray, eligible: np.ndarray | None = None) -> np.ndarray:
    """Unique (i, j), i < j, of documents sharing at least one band key; rows of ``eligible`` only."""
    documents = len(keys)
    index = np.arange(documents) if eligible is None else np.flatnonzero(eligible)
    found = []
    for band in range(keys.shape[1]):
        band_keys_ = keys[index, band]
        order = np.argsort(band_keys_, kind="stable")
        found.append(neighbour_pairs(band_keys_[order], index[order]))
    return unique_pairs(np.concatenate(found) if found else np.zeros((0, 2), np.int64), documents)


def neighbour_pairs(sorted_keys: np.ndarray, members: np.ndarray) -> np.ndarray:
    """(earlier, later) member pairs of one band's buckets: ``members`` sorted by key, then by
    document order within a key; each member is paired with the next ``MAX_BUCKET_NEIGHBOURS``
    members of its bucket."""
    found = []
    for distance in range(1, MAX_BUCKET_NEIGHBOURS + 1):
        same = np.flatnonzero(sorted_keys[distance:] == sorted_keys[:-distance])
        if len(same) == 0:
            break
        found.append(np.stack((members[same], members[same + distance]), axis=1))
    return np.concatenate(found) if found else np.zeros((0, 2), dtype=members.dtype)


def unique_pairs(pairs: np.ndarray, documents: int) -> np.ndarray:
    """``pairs`` of document indices below ``documents`` as unique (i, j), i < j, in (i, j) order."""
    if len(pairs) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.sort(pairs.astype(np.int64), axis=1)
    encoded = sorted_unique(pairs[:, 0] * documents + pairs[:, 1])
    return np.stack((encoded // documents, encoded % documents), axis=1)
