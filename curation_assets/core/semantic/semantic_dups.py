"""Semantic duplicates (SemDeDup's method): records whose embeddings are closer than a threshold, compared
within topic clusters only, so the work grows with the clusters' sizes, not the corpus squared.

Paraphrases that share few word sequences pass MinHash (which compares 5-word shingles) but keep their
rare words and topic, which the embedding sees. A record is compared within each of its ``probe``
nearest clusters (a pair split across a cluster border is still compared). Within a cluster, records
are taken best first (the caller's order: real before synthetic, ...) and one is dropped when it is at
least ``threshold`` similar (cosine) to one already kept, which it names: no chains, a dropped record is
always close to the one kept in its place. Pairs near the threshold are returned too, for choosing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

BLOCK_ROWS = 1024  # similarities computed a block of rows at a time: memory ~ BLOCK_ROWS × kept records


@dataclass
class SemanticDuplicates:
    dropped: dict[int, tuple[int, float]] = field(default_factory=dict)  # row → (kept row, cosine)
    near_threshold: list[tuple[int, int, float]] = field(default_factory=list)  # (row, row, cosine)


def nearest_clusters(embeddings: np.ndarray, centroids: np.ndarray, probe: int) -> np.ndarray:
    """Per record its ``probe`` most similar clusters, nearest first."""
    scores = embeddings @ centroids.T
    probe = min(probe, scores.shape[1])
    return np.argsort(-scores, axis=1, kind="stable")[:, :probe]


def semantic_duplicates(embeddings: np.ndarray, nearest: np.ndarray, preference: np.ndarray, threshold: float,
                        band: float = 0.03, examples: int = 10) -> SemanticDuplicates:
    """``nearest``: per row its clusters (``nearest_clusters``); ``preference[row]``: lower is kept first."""
    found = SemanticDuplicates()
    near: dict[tuple[int, int], float] = {}
    order = np.lexsort((np.arange(len(embeddings)), preference))
    for cluster in np.unique(nearest):
        in_cluster = np.zeros(len(embeddings), dtype=bool)
        in_cluster[np.flatnonzero((nearest == cluster).any(axis=1))] = True
        members = order[in_cluster[order]]  # best first
        kept: list[int] = []
        kept_vectors = np.zeros((0, embeddings.shape[1]), dtype=embeddings.dtype)
        for start in range(0, len(members), BLOCK_ROWS):
            block = members[start:start + BLOCK_ROWS]
            against_kept = embeddings[block] @ kept_vectors.T
            within = embeddings[block] @ embeddings[block].T
            newly: list[int] = []
            for place, row in enumerate(block):
                if row in found.dropped:
                    continue
                similarities = np.concatenate([against_kept[place], within[place, newly]])
                candidates = kept + [block[other] for other in newly]
                for other, similarity in zip(candidates, similarities):
                    if abs(similarity - threshold) <= band:
                        near[(min(row, other), max(row, other))] = round(float(similarity), 4)
                best = int(np.argmax(similarities)) if len(similarities) else -1
                if best >= 0 and similarities[best] >= threshold:
                    found.dropped[int(row)] = (int(candidates[best]), round(float(similarities[best]), 4))
                else:
                    newly.append(place)
            kept.extend(int(block[place]) for place in newly)
            kept_vectors = np.concatenate([kept_vectors, embeddings[block[newly]]])
    found.near_threshold = sorted(((a, b, s) for (a, b), s in near.items()),
                                  key=lambda pair: (abs(pair[2] - threshold), pair[0], pair[1]))[:examples]
    return found
