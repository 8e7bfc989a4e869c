"""Template text: shingles that occur in a large share of a batch's documents.

Instruction data generated from templates repeats long preambles ("toolformer: enabled /
toolformer access: … / A wrapper around …") in front of a short part that varies. Two such
records can reach a high Jaccard similarity on the preamble alone, so near-duplicate
verification also requires the similarity of what is left once these shingles are set aside.

Occurrences are counted in a count-min sketch (two rows of hashed counters; the smaller count
wins), so the cost is two ``bincount`` passes whatever the vocabulary.
"""

from __future__ import annotations

import math

import numpy as np

_MAX_BUCKET_BITS = 24
_SECOND_ROW_MULTIPLIER = np.uint32(0x9E3779B1)


class Boilerplate:
    def __init__(self, hashes: np.ndarray, documents: int, share: float, min_documents: int) -> None:
        self.min_count = max(min_documents, math.ceil(share * documents))
        bits = min(_MAX_BUCKET_BITS, max(10, int(len(hashes) * 4).bit_length()))
        self._mask = np.uint32((1 << bits) - 1)
        self._rows = [np.bincount(bucket, minlength=1 << bits) for bucket in self._buckets(hashes)]

    def _buckets(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        first = hashes & self._mask
        second = ((hashes * _SECOND_ROW_MULTIPLIER) >> np.uint32(8)) & self._mask
        return first, second

    def count(self, hashes: np.ndarray) -> np.ndarray:
        first, second = self._buckets(hashes)
        return np.minimum(self._rows[0][first], self._rows[1][second])

    def mask(self, hashes: np.ndarray) -> np.ndarray:
        """True for the shingles that are boilerplate."""
        return self.count(hashes) >= self.min_count
