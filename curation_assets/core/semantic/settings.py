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
    store: bool = Field(default=False, description="Asset `embeddings`: every train and eval record's embedding "
                                                   "and topic as Parquet files and the warehouse view `embeddings`.")
    dimensions: int = Field(default=128, ge=2, le=512, description="TF-IDF + SVD dimensions of the stored embeddings.")
    topics: int = Field(default=20, ge=1, le=1000)
    sample: int = Field(default=20_000, ge=10, description="Train records the embedder and topics are fitted on.")
    seed: int = 0
