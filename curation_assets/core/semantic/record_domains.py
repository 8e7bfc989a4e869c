"""Each record's own domain, for the mix caps: a source of support logs that is half billing and half
code questions is not one domain.

A nearest-centroid classifier over the records' embeddings (``domains.py``) learns from the records of
sources whose configured domain is true of every record (``mix.record_domains.trained_on``), is measured
on a held-out fifth of them, and then names every record's domain. Those sources' records keep their
configured domain; any other record takes the predicted one when the classifier is confident enough,
its source's otherwise. Deterministic: the sample and the held-out part are chosen by a seeded hash of
record ids, the embedder is fitted with the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from curation_assets.core.semantic.domains import DomainClassifier, DomainError, accuracy, train_classifier
from curation_assets.core.semantic.embed import Embedder, SentenceTransformerEmbedder, make_embedder, frame_texts

TEXT_COLUMNS = ["record_id", "source", "instruction", "input", "response"]
HELD_OUT = 0.2
DOMAIN_COLUMNS = ["record_id", "source", "source_domain", "predicted_domain", "confidence", "domain"]


def sample_keys(record_ids: pd.Series, seed: int) -> np.ndarray:
    """A seeded hash per record id (pandas' fixed-key SipHash): the same on every run and machine."""
    return pd.util.hash_pandas_object(record_ids.astype(str) + f":{seed}", index=False).to_numpy()


def sample_of(frame: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """The ``size`` records with the lowest keys: a shard's sample, and the same rule over the shards'
    samples gives the whole table's, however it is sharded."""
    if len(frame) <= size:
        return frame.reset_index(drop=True)
    order = np.argsort(sample_keys(frame["record_id"], seed), kind="stable")[:size]
    return frame.iloc[np.sort(order)].reset_index(drop=True)



@dataclass(frozen=True)
class DomainModel:
    embedder: Embedder | SentenceTransformerEmbedder
    classifier: DomainClassifier
    held_out: dict  # accuracy on the training sources' held-out records
    trained_on: tuple[str, ...]

    def classify(self, frame: pd.DataFrame, domain_of: Callable[[str], str], min_confidence: float) -> pd.DataFrame:
        """``DOMAIN_COLUMNS`` per record of ``frame``: the trained-on sources keep their domain, the others
        take the predicted one at ``min_confidence`` or above."""
        predicted, confidence = self.classifier.predict(self.embedder.embed(frame_texts(frame)))
        source_domain = frame["source"].map(domain_of).to_numpy(dtype=object)
        trusted = frame["source"].isin(self.trained_on).to_numpy()
        domain = np.where(trusted | (confidence < min_confidence), source_domain, predicted)
        return pd.DataFrame({"record_id": frame["record_id"].to_numpy(), "source": frame["source"].to_numpy(),
                             "source_domain": source_domain, "predicted_domain": predicted,
                             "confidence": np.round(confidence, 4), "domain": domain})


def fit_domain_model(sample: pd.DataFrame, trained_on: list[str], domain_of: Callable[[str], str],
                     dimensions: int, seed: int, model_path: str | None = None) -> DomainModel:
    """The embedder fitted on the whole sample; the classifier on its trained-on records, measured on a
    held-out fifth of them first, then trained on all of them."""
    if sample.empty:
        raise DomainError("no records to learn domains from")
    embedder = make_embedder(frame_texts(sample), dimensions, seed, model_path)
    training = sample[sample["source"].isin(trained_on)].reset_index(drop=True)
    labels = training["source"].map(domain_of).to_numpy(dtype=object)
    if len(set(labels)) < 2:
        raise DomainError(f"mix.record_domains: the trained_on sources ({', '.join(trained_on)}) hold records of "
                          f"{len(set(labels))} domain(s) in this run; two or more are needed to learn from")
    embeddings = embedder.embed(frame_texts(training))
    held = (sample_keys(training["record_id"], seed + 1) % 1000) < HELD_OUT * 1000
    held_out = {"accuracy": None, "records": 0}
    if held.any() and len(set(labels[~held])) >= 2:
        held_out = accuracy(train_classifier(embeddings[~held], labels[~held]), embeddings[held], labels[held])
    return DomainModel(embedder, train_classifier(embeddings, labels), held_out, tuple(trained_on))
