"""MinHash signatures of many documents at once, bit-for-bit datasketch's ``affine32`` MinHash.

datasketch's ``MinHash.update_batch`` pre-mixes each input hash with the 32-bit MurmurHash3
finalizer and takes, per permutation k, ``min(a_k * h + b_k mod 2**32)``. ``MinHash.bulk`` does
that one document at a time, and its Python-level hash call per shingle dominates the cost. Here
the same permutations (``MinHash(num_perm, seed).permutations``) and the same finalizer are
applied to a whole chunk of documents as one (num_perm × shingles) uint32 array, and
``np.minimum.reduceat`` takes each document's minimum. A test checks every value against
``MinHash.update_batch``; ``lean_minhash`` turns a row back into a datasketch ``LeanMinHash``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash
from datasketch.minhash import _fmix

from curation_assets.core.text.shingles import Shingles

SCHEME = "affine32"
EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's value for "no element seen"
# Shingles per slab (num_perm × slab uint32): larger slabs mean fewer reduceat calls; 8192 measured best.
_SLAB_SHINGLES = 8192


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return a.reshape(-1, 1), b.reshape(-1, 1)


def signatures(shingles: Shingles, num_perm: int, seed: int) -> np.ndarray:
    """One row of ``num_perm`` uint32 MinHash values per document; a document without shingles gets EMPTY."""
    a, b = permutations(num_perm, seed)
    counts = shingles.counts
    documents = len(counts)
    result = np.full((documents, num_perm), EMPTY, dtype=np.uint32)
    mixed = _fmix(shingles.hashes, 32)
    offsets = shingles.offsets
    slab = np.empty((num_perm, _SLAB_SHINGLES), dtype=np.uint32)
    first = 0
    while first < documents:
        # Whole documents per slab; a document longer than a slab gets a slab of its own.
        last = int(np.searchsorted(offsets, offsets[first] + _SLAB_SHINGLES, side="right")) - 1
        last = max(last, first + 1)
        last = min(last, documents)
        begin, end = int(offsets[first]), int(offsets[last])
        if end > begin:
            width = end - begin
            work = slab[:, :width] if width <= _SLAB_SHINGLES else np.empty((num_perm, width), dtype=np.uint32)
            np.multiply(a, mixed[begin:end], out=work)
            np.add(work, b, out=work)
            present = np.flatnonzero(counts[first:last])
            starts = offsets[first:last][present] - begin
            result[first + present] = np.minimum.reduceat(work, starts, axis=1).T
        first = last
    return result


def lean_minhash(signature: np.ndarray, seed: int) -> LeanMinHash:
    return LeanMinHash(seed=seed, hashvalues=signature, scheme=SCHEME)


def estimated_jaccard(signatures_a: np.ndarray, signatures_b: np.ndarray) -> np.ndarray:
    """Row-wise share of equal MinHash values: what ``LeanMinHash.jaccard`` returns, for many pairs."""
    if len(signatures_a) == 0:
        return np.zeros(0)
    return (signatures_a == signatures_b).mean(axis=1)
