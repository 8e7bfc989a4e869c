"""Record embeddings that need no download: hashed word and word-pair counts, weighted by TF-IDF,
reduced by truncated SVD (latent semantic analysis) to a few dense dimensions, rows L2-normalized,
so a dot product is a cosine similarity.

Built from scikit-learn's HashingVectorizer and TruncatedSVD. The vocabulary is hashed (no fitted
vocabulary to hold, any shard transformable alone); the IDF weights and the SVD are fitted once on a
seeded sample of the corpus and identified by a fingerprint, which the run records. Fitting runs on one
BLAS thread so the same sample and seed give the same embedder on every machine size.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

HASHED_FEATURES = 2**16


def _vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=HASHED_FEATURES, ngram_range=(1, 2), alternate_sign=False, norm=None,
                             lowercase=True, token_pattern=r"(?u)\b\w+\b", dtype=np.float32)


def _weighted(texts: Sequence[str], idf: np.ndarray):
    from sklearn.preprocessing import normalize

    counts = _vectorizer().transform(list(texts))
    counts.data = 1.0 + np.log(counts.data)  # sublinear term frequency
    return normalize(counts.multiply(idf).tocsr(), norm="l2", copy=False)


@dataclass(frozen=True)
class Embedder:
    """A fitted TF-IDF + SVD embedder: ``embed(texts)`` → float32 rows of ``dimensions``, unit length."""

    idf: np.ndarray  # (HASHED_FEATURES,) float32
    components: np.ndarray  # (dimensions, HASHED_FEATURES) float32
    fingerprint: str
    fitted_on: int

    @property
    def dimensions(self) -> int:
        return int(self.components.shape[0])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dimensions), dtype=np.float32)
        reduced = np.asarray(_weighted(texts, self.idf) @ self.components.T, dtype=np.float32)
        norms = np.linalg.norm(reduced, axis=1, keepdims=True)
        return reduced / np.where(norms == 0, 1.0, norms)


class EmbedderError(ValueError):
    pass


def fit_embedder(texts: Sequence[str], dimensions: int, seed: int) -> Embedder:
    """Fit on ``texts`` (the caller's seeded sample). A corpus too small for ``dimensions`` gets fewer
    (one less than its distinct texts): documented, not an error; an empty one is an error."""
    from sklearn.decomposition import TruncatedSVD
    from threadpoolctl import threadpool_limits

    texts = list(texts)
    if not texts:
        raise EmbedderError("no texts to fit the embedder on")
    counts = _vectorizer().transform(texts)
    document_frequency = np.bincount(counts.indices, minlength=HASHED_FEATURES).astype(np.float64)
    idf = (np.log((1.0 + len(texts)) / (1.0 + document_frequency)) + 1.0).astype(np.float32)
    weighted = _weighted(texts, idf)
    usable = max(1, min(dimensions, len(set(texts)) - 1, weighted.nnz and weighted.shape[1] - 1))
    with threadpool_limits(limits=1):
        svd = TruncatedSVD(n_components=usable, algorithm="randomized", n_iter=7, random_state=seed)
        svd.fit(weighted)
    components = svd.components_.astype(np.float32)
    # The sign of a singular vector is arbitrary: fix it (largest entry positive) so fits agree.
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    components *= np.where(signs == 0, 1, signs)[:, None]
    digest = hashlib.sha256(idf.tobytes() + components.tobytes()).hexdigest()[:16]
    return Embedder(idf, components, f"tfidf-svd-{usable}d-{digest}", len(texts))


def frame_texts(frame) -> list[str]:
    """``record_texts`` of a frame of records (instruction, input, response columns)."""
    return record_texts(frame["instruction"].fillna("").tolist(), frame["input"].fillna("").tolist(),
                        frame["response"].fillna("").tolist())


def record_texts(instructions: Sequence[str], inputs: Sequence[str], responses: Sequence[str]) -> list[str]:
    """The text a record is embedded by: its prompt and answer."""
    return [f"{instruction}\n{input_}\n{response}" if input_ else f"{instruction}\n{response}"
            for instruction, input_, response in zip(instructions, inputs, responses)]


class SentenceTransformerEmbedder:
    """A sentence-transformers model read from a local folder: ``embed`` like ``Embedder``'s, rows unit
    length. Pickled by its path (workers load the model themselves), never by its weights."""

    def __init__(self, model_path: str, batch_size: int = 64) -> None:
        self.model_path, self.batch_size = model_path, batch_size
        self._model = None

    def __getstate__(self) -> dict:
        return {"model_path": self.model_path, "batch_size": self.batch_size}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["model_path"], state["batch_size"])

    def _loaded(self):
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as error:
                raise EmbedderError("embedder.model_path names a sentence-transformers model: pip install "
                                    "sentence-transformers (or set embedder.model_path: null for TF-IDF + SVD)") from error
            try:
                self._model = SentenceTransformer(self.model_path, device="cpu", local_files_only=True)
            except Exception as error:  # the library raises OSError, ValueError, ... for a folder it cannot read
                raise EmbedderError(f"embedder.model_path {self.model_path}: not a readable sentence-transformers "
                                    f"model ({type(error).__name__}: {error})") from error
        return self._model

    @property
    def dimensions(self) -> int:
        return int(self._loaded().get_sentence_embedding_dimension())

    @property
    def fingerprint(self) -> str:
        return f"sentence-transformers:{Path(self.model_path).name}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._loaded().encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                        convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def embedder_problem(model_path: str | None) -> str | None:
    """What is wrong with a configured model folder (checked when the config loads), or None."""
    if model_path is None:
        return None
    path = Path(model_path)
    if not path.is_dir():
        return f"no model folder at {path} (a sentence-transformers model saved with model.save(folder))"
    if not any((path / name).exists() for name in ("modules.json", "config.json", "config_sentence_transformers.json")):
        return f"{path} holds no sentence-transformers model (no modules.json or config.json)"
    return None


def make_embedder(texts: Sequence[str], dimensions: int, seed: int, model_path: str | None = None,
                  batch_size: int = 64) -> "Embedder | SentenceTransformerEmbedder":
    """The configured embedder: a sentence-transformers model when ``model_path`` is set (nothing to fit),
    else TF-IDF + SVD fitted on ``texts``."""
    if model_path is not None:
        return SentenceTransformerEmbedder(model_path, batch_size)
    return fit_embedder(texts, dimensions, seed)
