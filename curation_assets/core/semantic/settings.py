"""Settings shared by every use of record embeddings (record domains, semantic dedup, selection, coverage)."""

from __future__ import annotations

from pydantic import Field

from curation_assets.core.settings import Strict


class EmbedderConfig(Strict):
    """Which embedder: the built-in TF-IDF + SVD (no download, fitted on each run's sample), or a
    sentence-transformers model from a local folder (``pip install sentence-transformers``)."""

    model_path: str | None = Field(
        default=None, description="A sentence-transformers model folder (relative to the config file); null: "
                                  "TF-IDF + SVD. Nothing is downloaded: the folder must hold the model.")
    batch_size: int = Field(default=64, ge=1)
