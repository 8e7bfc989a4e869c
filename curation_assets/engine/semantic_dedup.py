"""Semantic duplicates over the sharded table: a seeded sample taken shard by shard on the workers, the
embedder and topic clusters fitted once from it (written to the step's scratch in the record store),
every shard embedded on the workers, then the records the other passes kept compared within their
nearest clusters (``core/semantic/semantic_dups.py``)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.semantic.clusters import Clusters, fit_clusters
from curation_assets.core.semantic.embed import Embedder, SentenceTransformerEmbedder, make_embedder, record_texts
from curation_assets.core.semantic.record_domains import sample_of
from curation_assets.core.semantic.semantic_dups import nearest_clusters, semantic_duplicates
from curation_assets.engine.decided_stage import map_shards
from curation_assets.storage.shards import ShardStore

REASON = "semantic_duplicate"
MODEL_FILE = "semantic_model.pickle"
COLUMNS = ["record_id", "source", "kind", "instruction", "input", "response"]
PAIR_COLUMNS = ["record_id", "kept_id", "cosine"]


def _texts(frame: pd.DataFrame) -> list[str]:
    return record_texts(frame["instruction"].fillna("").tolist(), frame["input"].fillna("").tolist(),
                        frame["response"].fillna("").tolist())


def sample_shard(shard: pd.DataFrame, index: int, config: PipelineConfig) -> pd.DataFrame:
    settings = config.dedup.semantic
    return sample_of(shard.loc[:, COLUMNS], settings.sample, settings.seed)


@dataclass(frozen=True)
class SemanticModel:
    embedder: Embedder | SentenceTransformerEmbedder
    clusters: Clusters


@dataclass(frozen=True)
class EmbedShard:
    shards_uri: str
    model_uri: str

    def __call__(self, shard: pd.DataFrame, index: int, config: PipelineConfig) -> tuple[pd.DataFrame, np.ndarray]:
        model = _model(self.shards_uri, self.model_uri)
        rows = shard.loc[:, ["record_id", "source", "kind"]].assign(
            response_chars=shard["response"].fillna("").str.len().to_numpy())
        return rows.reset_index(drop=True), model.embedder.embed(_texts(shard)).astype(np.float32)


@lru_cache(maxsize=2)
def _model(shards_uri: str, model_uri: str) -> SemanticModel:
    store = ShardStore(shards_uri)
    with store.filesystem.open_input_stream(store.path_of(model_uri)) as stream:
        return pickle.loads(stream.read())


@dataclass
class SemanticPass:
    rejected: pd.DataFrame  # record_id, reason, detail
    pairs: pd.DataFrame  # PAIR_COLUMNS: each dropped record and the one kept in its place
    near_threshold: list[tuple[str, str, float]]
    stats: dict


def semantic_pass(groups: list[tuple[str, ...]], config: PipelineConfig, shards_uri: str, scratch_uri: str,
                  workers: int, kept_ids: set[str], source_rank: Callable[[str], int]) -> SemanticPass:
    """The records of ``kept_ids`` that are semantic duplicates of a better one, and what was seen."""
    settings = config.dedup.semantic
    samples = list(map_shards(sample_shard, groups, config, shards_uri, workers, "deduplicated: semantic sample"))
    sample = sample_of(pd.concat(samples, ignore_index=True), settings.sample, settings.seed)
    sample = sample[sample["record_id"].isin(kept_ids)]
    empty = pd.DataFrame(columns=["record_id", "reason", "detail"])
    if len(sample) < 2:
        return SemanticPass(empty, pd.DataFrame(columns=PAIR_COLUMNS), [], {"compared": 0})
    embedder = make_embedder(_texts(sample), settings.dimensions, settings.seed, config.embedder_path(),
                             config.embedder.batch_size)
    clusters = fit_clusters([embedder.embed(_texts(sample))], settings.clusters, settings.seed)
    store = ShardStore(shards_uri)
    model_uri = f"{scratch_uri.rstrip('/')}/{MODEL_FILE}"
    with store.filesystem.open_output_stream(store.path_of(model_uri)) as stream:
        stream.write(pickle.dumps(SemanticModel(embedder, clusters)))
    rows, vectors = [], []
    for part, embedded in map_shards(EmbedShard(shards_uri, model_uri), groups, config, shards_uri, workers,
                                     "deduplicated: embedding"):
        keep = part["record_id"].isin(kept_ids).to_numpy()
        rows.append(part[keep])
        vectors.append(embedded[keep])
    frame = pd.concat(rows, ignore_index=True)
    embeddings = np.concatenate(vectors) if vectors else np.zeros((0, embedder.dimensions), dtype=np.float32)
    # Kept first: real before synthetic, then the source listed first, the longer answer, the smaller id.
    order = frame.assign(_real=(frame["kind"] != "real").astype(int), _rank=frame["source"].map(source_rank),
                         _length=-frame["response_chars"]).sort_values(["_real", "_rank", "_length", "record_id"],
                                                                        kind="mergesort").index
    preference = np.empty(len(frame), dtype=np.int64)
    preference[order] = np.arange(len(frame))
    found = semantic_duplicates(embeddings, nearest_clusters(embeddings, clusters.centroids, settings.probe),
                                preference, settings.threshold)
    ids = frame["record_id"].to_numpy()
    pairs = pd.DataFrame([(ids[row], ids[kept], cosine) for row, (kept, cosine) in sorted(found.dropped.items())],
                         columns=PAIR_COLUMNS)
    rejected = pd.DataFrame({"record_id": pairs["record_id"], "reason": REASON,
                             "detail": [f"semantic duplicate of {kept} (cosine {cosine:.3f} ≥ {settings.threshold})"
                                        for kept, cosine in zip(pairs["kept_id"], pairs["cosine"])]})
    near = [(ids[a], ids[b], similarity) for a, b, similarity in found.near_threshold]
    return SemanticPass(rejected if len(rejected) else empty, pairs, near, {
        "compared": int(len(frame)), "dropped": int(len(pairs)), "threshold": settings.threshold,
        "clusters": clusters.count, "probe": settings.probe, "embedder": embedder.fingerprint})
