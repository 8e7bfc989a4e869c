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

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from curation_assets.core.boilerplate import Boilerplate
from curation_assets.core.minhash import estimated_jaccard
from curation_assets.core.shingles import Shingles

SCREEN_MARGIN = 0.15
_PAIR_BLOCK = 65536


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
    """Each document's distinct shingles (and those that are not boilerplate), computed once when needed.

    ``shingles_of(documents)`` returns the shingle hashes of those documents, one array each.
    """

    def __init__(self, shingles_of: Callable[[list[int]], list[np.ndarray]],
                 boilerplate: Boilerplate | None = None) -> None:
        self._shingles_of = shingles_of
        self._boilerplate = boilerplate
        self._sets: dict[int, tuple[frozenset, frozenset]] = {}

    @classmethod
    def of(cls, shingles: Shingles, boilerplate: Boilerplate | None = None) -> "ShingleSets":
        return cls(lambda documents: [shingles.of(document) for document in documents], boilerplate)

    def prefetch(self, documents) -> None:
        missing = sorted(set(documents) - self._sets.keys())
        for document, hashes in zip(missing, self._shingles_of(missing)):
            full = frozenset(hashes.tolist())
            template = self._boilerplate.of(full) if self._boilerplate else frozenset()
            self._sets[document] = (full, full - template if template else full)

    @property
    def has_boilerplate(self) -> bool:
        return bool(self._boilerplate)

    def __getitem__(self, document: int) -> tuple[frozenset, frozenset]:
        if document not in self._sets:
            self.prefetch([document])
        return self._sets[document]


def _jaccard(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 1.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def exact_jaccard(sets: ShingleSets, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: Jaccard of the shingle sets, and of their content (non-boilerplate) shingles."""
    full = np.empty(len(pairs))
    content = np.empty(len(pairs))
    for index, (left, right) in enumerate(pairs.tolist()):
        (left_full, left_content), (right_full, right_content) = sets[left], sets[right]
        full[index] = _jaccard(left_full, right_full)
        content[index] = full[index] if left_content is left_full and right_content is right_full \
            else _jaccard(left_content, right_content)
    return full, content


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
    sets.prefetch(uncertain.ravel().tolist())
    full[~certain], content[~certain] = exact_jaccard(sets, uncertain)
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
