"""From signatures to verified near-duplicate pairs and clusters.

LSH proposes candidate pairs; a pair is a near-duplicate when the exact Jaccard similarity of
the two shingle sets reaches the threshold, and so does the Jaccard similarity of their content
shingles (boilerplate set aside, see boilerplate.py). The MinHash estimate only screens:
candidates whose estimate is more than ``SCREEN_MARGIN`` below the threshold (about four
standard errors at 128 permutations) are dropped without the exact computation. Clusters are the
connected components of the verified pairs, so a chain A~B~C is one cluster even when A and C
are not similar.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from curation_assets.core.arrays import sorted_unique
from curation_assets.core.dedup.boilerplate import Boilerplate
from curation_assets.core.dedup.minhash import estimated_jaccard
from curation_assets.core.text.shingles import Shingles

SCREEN_MARGIN = 0.15
_PARALLEL_PAIRS = 8192
_PAIR_BLOCK = 65536
_JACCARD_BLOCK = 16384


@dataclass(frozen=True)
class Edges:
    """Verified near-duplicate pairs (i < j) with their exact and estimated Jaccard."""

    pairs: np.ndarray  # (k, 2) int64
    jaccard: np.ndarray  # float64, exact on shingle sets (NaN: accepted on a clear estimate, see verify)
    estimate: np.ndarray  # float64, MinHash
    content_jaccard: np.ndarray  # float64, exact on non-boilerplate shingles (NaN likewise)

    @classmethod
    def empty(cls) -> "Edges":
        return cls(np.zeros((0, 2), dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(0))


def pair_estimates(signatures: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    estimates = np.empty(len(pairs))
    for start in range(0, len(pairs), _PAIR_BLOCK):
        block = pairs[start : start + _PAIR_BLOCK]
        estimates[start : start + len(block)] = estimated_jaccard(signatures[block[:, 0]], signatures[block[:, 1]])
    return estimates


class ShingleSets:
    """Exact Jaccard similarities of document pairs, from their shingle hashes, vectorized.

    ``shingles_of(documents)`` returns the shingles of those (sorted, distinct) documents.
    """

    def __init__(self, shingles_of: Callable[[np.ndarray], Shingles], boilerplate: Boilerplate | None = None) -> None:
        self._shingles_of = shingles_of
        self._boilerplate = boilerplate

    @classmethod
    def of(cls, shingles: Shingles, boilerplate: Boilerplate | None = None) -> "ShingleSets":
        return cls(shingles.take, boilerplate)

    @property
    def has_boilerplate(self) -> bool:
        return bool(self._boilerplate)

    def jaccard(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per pair: Jaccard of the shingle sets, and of their content (non-boilerplate) shingles.

        Each document's shingles become sorted, distinct keys (document << 32 | hash) in one array;
        each element of a pair's smaller set is looked up in the other's range of that array. Pairs go
        in blocks of ``_JACCARD_BLOCK``: the temporaries hold every shingle of a block's documents.
        """
        if len(pairs) > _JACCARD_BLOCK:
            parts = [self._block_jaccard(pairs[start : start + _JACCARD_BLOCK])
                     for start in range(0, len(pairs), _JACCARD_BLOCK)]
            return np.concatenate([full for full, _ in parts]), np.concatenate([content for _, content in parts])
        return self._block_jaccard(pairs)

    def _block_jaccard(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(pairs) == 0:
            return np.zeros(0), np.zeros(0)
        documents = sorted_unique(pairs.ravel())
        local = np.searchsorted(documents, pairs)
        shingles = self._shingles_of(documents)
        owners = np.repeat(np.arange(len(documents), dtype=np.uint64), shingles.counts)
        keys = sorted_unique((owners << np.uint64(32)) | shingles.hashes.astype(np.uint64))
        key_owner = (keys >> np.uint64(32)).astype(np.int64)
        sizes = np.bincount(key_owner, minlength=len(documents))
        starts = np.zeros(len(documents) + 1, dtype=np.int64)
        np.cumsum(sizes, out=starts[1:])
        template = self._template(keys)
        content_sizes = np.bincount(key_owner[~template], minlength=len(documents))

        small_first = sizes[local[:, 0]] <= sizes[local[:, 1]]
        small = np.where(small_first, local[:, 0], local[:, 1])
        large = np.where(small_first, local[:, 1], local[:, 0])
        lookups = sizes[small]
        pair_of = np.repeat(np.arange(len(pairs)), lookups)
        positions = np.repeat(starts[small], lookups) + (
            np.arange(lookups.sum()) - np.repeat(np.cumsum(lookups) - lookups, lookups))
        wanted = (large[pair_of].astype(np.uint64) << np.uint64(32)) | (keys[positions] & np.uint64(0xFFFFFFFF))
        found_at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        found = keys[found_at] == wanted
        shared = np.bincount(pair_of, weights=found, minlength=len(pairs))
        shared_content = np.bincount(pair_of, weights=found & ~template[positions], minlength=len(pairs))
        return (_ratio(shared, sizes[small] + sizes[large] - shared),
                _ratio(shared_content, content_sizes[small] + content_sizes[large] - shared_content))

    def _template(self, keys: np.ndarray) -> np.ndarray:
        if not self._boilerplate:
            return np.zeros(len(keys), dtype=bool)
        template = self._boilerplate.sorted_hashes
        hashes = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        at = np.minimum(np.searchsorted(template, hashes), len(template) - 1)
        return template[at] == hashes


def _ratio(shared: np.ndarray, union: np.ndarray) -> np.ndarray:
    """shared / union, with two empty sets counted as identical."""
    result = np.ones(len(shared))
    nonempty = union > 0
    result[nonempty] = shared[nonempty] / union[nonempty]
    return result


def verify(pairs: np.ndarray, signatures: np.ndarray, sets: ShingleSets, threshold: float,
           near_miss_margin: float = 0.1) -> tuple[Edges, Edges]:
    """The candidate pairs whose exact Jaccard, overall and on content, reaches ``threshold``; and the
    near misses, whose lower of the two is within ``near_miss_margin`` below it (to judge the threshold by).

    Where the batch has no boilerplate, a pair whose estimate clears the threshold by ``SCREEN_MARGIN``
    is accepted on the estimate (its ``jaccard`` is NaN): the exact value would not change the verdict.
    """
    if len(pairs) == 0:
        return Edges.empty(), Edges.empty()
    estimates = pair_estimates(signatures, pairs)
    screened = estimates >= threshold - SCREEN_MARGIN
    pairs, estimates = pairs[screened], estimates[screened]
    certain = estimates >= threshold + SCREEN_MARGIN if not sets.has_boilerplate else np.zeros(len(pairs), dtype=bool)
    full = np.full(len(pairs), np.nan)
    content = np.full(len(pairs), np.nan)
    uncertain = pairs[~certain]
    if len(uncertain) >= _PARALLEL_PAIRS:
        # numpy's sorts and searches release the GIL: threads share the work without copying the shingles.
        # Blocks of at most _JACCARD_BLOCK pairs bound the temporaries (every shingle of a block's documents).
        blocks = np.array_split(uncertain, max(os.cpu_count() or 1, -(-len(uncertain) // _JACCARD_BLOCK)))
        with ThreadPoolExecutor(max_workers=min(len(blocks), os.cpu_count() or 1)) as pool:
            results = list(pool.map(sets.jaccard, blocks))
        full[~certain] = np.concatenate([part for part, _ in results])
        content[~certain] = np.concatenate([part for _, part in results])
    else:
        full[~certain], content[~certain] = sets.jaccard(uncertain)
    lower = np.minimum(full, content)
    similar = certain | (lower >= threshold)
    missed = ~similar & (lower >= threshold - near_miss_margin)
    return (Edges(pairs[similar], full[similar], estimates[similar], content[similar]),
            Edges(pairs[missed], full[missed], estimates[missed], content[missed]))


def components(documents: int, pairs: np.ndarray) -> np.ndarray:
    """A component label per document (connected components of the pairs)."""
    if documents == 0:
        return np.zeros(0, dtype=np.int64)
    graph = coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(documents, documents)
    ).tocsr()
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)
