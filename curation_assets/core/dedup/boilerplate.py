"""Template text: shingles that occur in a large share of a batch's documents.

Instruction data generated from templates repeats long preambles ("toolformer: enabled /
toolformer access: … / A wrapper around …") in front of a short part that varies. Two such
records can reach a high Jaccard similarity on the preamble alone, so near-duplicate
verification also requires the similarity of what is left once these shingles are set aside.

A shingle is boilerplate when it occurs at least ``max(min_documents, share × documents)``
times. Counting is exact up to ``SAMPLE_DOCUMENTS`` documents; in a larger batch every k-th
document is counted and the bar scaled to the sample (a shingle in 1% of the documents shows up
about 200 times in a 20,000-document sample, far from the noise).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from curation_assets.core.arrays import sorted_unique
from curation_assets.core.text.shingles import Shingles

SAMPLE_DOCUMENTS = 20000


class Boilerplate:
    def __init__(self, shingles: Shingles, share: float, min_documents: int) -> None:
        self._count(len(shingles.counts), shingles.take, share, min_documents)

    @classmethod
    def of_documents(cls, documents: int, shingles_of: Callable[[np.ndarray], Shingles], share: float,
                     min_documents: int) -> "Boilerplate":
        """The boilerplate of ``documents`` documents whose shingles ``shingles_of(positions)`` reads
        (only the sampled ones are read)."""
        found = cls.__new__(cls)
        found._count(documents, shingles_of, share, min_documents)
        return found

    @staticmethod
    def sampled(documents: int) -> np.ndarray:
        """The documents counted: all of them, or every k-th of a batch larger than ``SAMPLE_DOCUMENTS``."""
        return np.arange(0, documents, max(1, math.ceil(documents / SAMPLE_DOCUMENTS)))

    def _count(self, documents: int, shingles_of: Callable[[np.ndarray], Shingles], share: float,
               min_documents: int) -> None:
        self.min_count = max(min_documents, math.ceil(share * documents))
        sampled = self.sampled(documents)
        bar = max(2, math.ceil(self.min_count * len(sampled) / max(documents, 1)))
        hashes = shingles_of(sampled).hashes
        distinct = np.sort(hashes)
        if len(distinct):
            run_starts = np.flatnonzero(np.concatenate(([True], distinct[1:] != distinct[:-1])))
            run_lengths = np.diff(np.append(run_starts, len(distinct)))
            frequent = distinct[run_starts[run_lengths >= bar]]
        else:
            frequent = distinct
        self.sorted_hashes = sorted_unique(frequent)
        self.hashes = frozenset(self.sorted_hashes.tolist())

    def __bool__(self) -> bool:
        return bool(self.hashes)

    def of(self, shingle_set: frozenset) -> frozenset:
        """The boilerplate shingles in ``shingle_set``."""
        return shingle_set & self.hashes
