"""Semantic duplicates (SemDeDup's method): records whose embeddings are closer than a threshold, compared
within topic clusters only, so the work grows with the clusters' sizes, not the corpus squared.

Paraphrases that share few word sequences pass MinHash (which compares 5-word shingles) but keep their
rare words and topic, which the embedding sees. A record is compared within each of its ``probe``
nearest clusters (a pair split across a cluster border is still compared). Within a cluster, records
are taken best first (the caller's order: real before synthetic, ...) and one is dropped when it is at
least ``threshold`` similar (cosine) to one kept there, which it names (always a close record: no chains
inside a cluster); a record is kept only by its nearest cluster. Pairs near the threshold are returned
too, for choosing it.
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


def cluster_duplicates(embeddings: np.ndarray, rows: np.ndarray, primary: np.ndarray, threshold: float,
                       band: float, found: SemanticDuplicates, near: dict) -> None:
    """One cluster: ``rows`` (ids of its members, best first), their ``embeddings`` and whether the cluster
    is each one's ``primary`` (nearest). A member at least ``threshold`` similar to a kept one is dropped
    naming it; a member not dropped is kept here only if this is its primary cluster (elsewhere it is
    just compared), so each record is kept or dropped as its own cluster decides."""
    kept_places: list[int] = []
    for start in range(0, len(rows), BLOCK_ROWS):
        block = np.arange(start, min(start + BLOCK_ROWS, len(rows)))
        against_kept = embeddings[block] @ embeddings[kept_places].T if kept_places else np.zeros((len(block), 0))
        within = embeddings[block] @ embeddings[block].T
        newly: list[int] = []
        for offset, place in enumerate(block):
            row = int(rows[place])
            similarities = np.concatenate([against_kept[offset], within[offset, newly]])
            if not len(similarities):
                if primary[place]:
                    newly.append(offset)
                continue
            for at in np.flatnonzero(np.abs(similarities - threshold) <= band):  # few: examples for choosing it
                other = int(rows[kept_places[at] if at < len(kept_places) else block[newly[at - len(kept_places)]]])
                near[(min(row, other), max(row, other))] = round(float(similarities[at]), 4)
            best = int(np.argmax(similarities))
            if similarities[best] >= threshold:
                kept_place = kept_places[best] if best < len(kept_places) else int(block[newly[best - len(kept_places)]])
                if row not in found.dropped or found.dropped[row][1] < similarities[best]:
                    found.dropped[row] = (int(rows[kept_place]), round(float(similarities[best]), 4))
            elif primary[place]:
                newly.append(offset)
        kept_places.extend(int(block[offset]) for offset in newly)


def semantic_duplicates(embeddings: np.ndarray, nearest: np.ndarray, preference: np.ndarray, threshold: float,
                        band: float = 0.03, examples: int = 10) -> SemanticDuplicates:
    """``nearest``: per row its clusters, nearest first (``nearest_clusters``); ``preference[row]``: lower is
    kept first. All in one process: ``engine/semantic_dedup.py`` runs the same per cluster on the workers."""
    found = SemanticDuplicates()
    near: dict[tuple[int, int], float] = {}
    order = np.lexsort((np.arange(len(embeddings)), preference))
    for cluster in np.unique(nearest):
        member = (nearest == cluster).any(axis=1)
        rows = order[member[order]]
        cluster_duplicates(embeddings[rows], rows, nearest[rows, 0] == cluster, threshold, band, found, near)
    found.near_threshold = closest_to_threshold(near, threshold, examples)
    return found


def closest_to_threshold(near: dict[tuple, float], threshold: float, examples: int) -> list[tuple]:
    return sorted(((a, b, s) for (a, b), s in near.items()),
                  key=lambda pair: (abs(pair[2] - threshold), pair[0], pair[1]))[:examples]
