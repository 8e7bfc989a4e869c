"""Topic clusters over record embeddings (mini-batch k-means, fitted batch by batch, seeded), each with
a short label: the words most characteristic of its records against the whole corpus."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

_WORD = re.compile(r"[^\W\d_]{3,}")
_STOPWORDS = frozenset(
    "the and for that with this from are was were have has had not but you your they their them what which "
    "who how when where why can could would should will shall may might must into about than then there "
    "here also each other some such only very more most many much any all both its it's our out over under "
    "been being does did doing just like one two three per use using used make made give given write".split())


class ClusterError(ValueError):
    pass


@dataclass(frozen=True)
class Clusters:
    centroids: np.ndarray  # (clusters, dimensions)
    requested: int

    @property
    def count(self) -> int:
        return int(len(self.centroids))

    def assign(self, embeddings: np.ndarray) -> np.ndarray:
        if not len(embeddings):
            return np.zeros(0, dtype=np.int32)
        return (embeddings @ self.centroids.T).argmax(axis=1).astype(np.int32)


def fit_clusters(batches: Sequence[np.ndarray], count: int, seed: int) -> Clusters:
    """k-means over the batches (each a shard's embeddings), ``partial_fit`` one batch at a time. Fewer
    records than ``count``: as many clusters as records (documented fallback, recorded as requested)."""
    from sklearn.cluster import MiniBatchKMeans
    from threadpoolctl import threadpool_limits

    total = sum(len(batch) for batch in batches)
    if total == 0:
        raise ClusterError("no records to cluster")
    clusters = min(count, total)
    model = MiniBatchKMeans(n_clusters=clusters, random_state=seed, batch_size=max(256, clusters * 3), n_init=3)
    with threadpool_limits(limits=1):
        joined = np.concatenate([batch for batch in batches if len(batch)])
        if len(joined) <= 200_000:  # whole: k-means++ seeding sees every record
            model.fit(joined)
        else:
            for batch in batches:
                if len(batch) >= clusters:
                    model.partial_fit(batch)
    centroids = model.cluster_centers_.astype(np.float32)
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    return Clusters(centroids / np.where(norms == 0, 1, norms), count)


def _words(text: str) -> set[str]:
    return {word for word in (match.lower() for match in _WORD.findall(text)) if word not in _STOPWORDS}


def cluster_labels(texts: Sequence[str], assignments: np.ndarray, count: int, words: int = 3) -> dict[int, str]:
    """Per cluster its ``words`` most characteristic words: frequent in its records, rarer elsewhere."""
    overall: Counter = Counter()
    per_cluster: dict[int, Counter] = {cluster: Counter() for cluster in range(count)}
    sizes = np.bincount(assignments, minlength=count)
    for text, cluster in zip(texts, assignments):
        found = _words(text)
        overall.update(found)
        per_cluster[int(cluster)].update(found)
    labels = {}
    for cluster, counts in per_cluster.items():
        size = max(1, int(sizes[cluster]))
        scored = sorted(((count / size) * np.log((1 + len(texts)) / (1 + overall[word])), word)
                        for word, count in counts.items() if count >= 2 or size < 4)
        labels[cluster] = " · ".join(word for _, word in sorted(scored, key=lambda pair: (-pair[0], pair[1]))[:words]) or "(empty)"
    return labels
