"""A per-record domain: the nearest domain centroid over embeddings, trained on records whose source's
domain is trusted (a math-only source, a code-only source, ...).

Nearest-centroid: each domain is the normalized mean of its training records' embeddings; a record
gets the domain whose centroid is most similar, and a confidence (that similarity less the runner-up's).
It is measured, not assumed: ``accuracy`` on held-out records of known domain (benchmarks/domains.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


class DomainError(ValueError):
    pass


@dataclass(frozen=True)
class DomainClassifier:
    domains: tuple[str, ...]
    centroids: np.ndarray  # (domains, dimensions), unit rows

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        return embeddings @ self.centroids.T

    def predict(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per record its domain and confidence (best similarity less the second best; 1 with one domain)."""
        if not len(embeddings):
            return np.array([], dtype=object), np.array([], dtype=np.float32)
        scores = self.scores(embeddings)
        best = scores.argmax(axis=1)
        ordered = np.sort(scores, axis=1)
        margin = ordered[:, -1] - ordered[:, -2] if scores.shape[1] > 1 else np.ones(len(scores))
        return np.array(self.domains, dtype=object)[best], margin.astype(np.float32)


def train_classifier(embeddings: np.ndarray, labels: Sequence[str]) -> DomainClassifier:
    labels = np.asarray(labels, dtype=object)
    domains = tuple(sorted(set(labels.tolist())))
    if len(domains) < 2:
        raise DomainError(f"a domain classifier needs records of two domains or more to learn from; "
                          f"the training sources give {', '.join(domains) or 'none'}")
    centroids = np.stack([embeddings[labels == domain].mean(axis=0) for domain in domains])
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    return DomainClassifier(domains, (centroids / np.where(norms == 0, 1, norms)).astype(np.float32))


def accuracy(classifier: DomainClassifier, embeddings: np.ndarray, labels: Sequence[str]) -> dict:
    """Overall and per-domain accuracy, and the confusion counts (true → predicted → records)."""
    predicted, _ = classifier.predict(embeddings)
    labels = np.asarray(labels, dtype=object)
    confusion: dict[str, dict[str, int]] = {}
    for truth, guess in zip(labels, predicted):
        confusion.setdefault(truth, {}).setdefault(guess, 0)
        confusion[truth][guess] += 1
    per_domain = {domain: round(row.get(domain, 0) / sum(row.values()), 4) for domain, row in sorted(confusion.items())}
    return {"accuracy": round(float((predicted == labels).mean()), 4) if len(labels) else 0.0,
            "records": int(len(labels)), "per_domain": per_domain, "confusion": confusion}
