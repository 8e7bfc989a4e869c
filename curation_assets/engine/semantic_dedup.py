"""Semantic duplicates over the sharded table, within the sharded stages' memory: a seeded sample taken
shard by shard on the workers, the embedder and topic clusters fitted once from it (written to the
step's scratch in the record store), each shard's kept records embedded on the workers and written to
the partitions of their nearest clusters, then each partition's clusters decided on a worker
(``core/semantic/semantic_dups.py``)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from curation_assets.config import PipelineConfig
from curation_assets.core.semantic.clusters import Clusters, fit_clusters
from curation_assets.core.semantic.embed import Embedder, SentenceTransformerEmbedder, make_embedder, frame_texts
from curation_assets.core.semantic.record_domains import sample_of
from curation_assets.core.semantic.semantic_dups import (SemanticDuplicates, closest_to_threshold,
                                                         cluster_duplicates, nearest_clusters)
from curation_assets.engine.decided_stage import map_shards
from curation_assets.engine.pool import map_tasks, worker_count
from curation_assets.engine.progress import tracked
from curation_assets.storage.shards import ShardStore

REASON = "semantic_duplicate"
PARTITION_BYTES = 256 * 1024 * 1024  # embeddings a partition task holds, about
MODEL_FILE = "semantic_model.pickle"
COLUMNS = ["record_id", "source", "kind", "instruction", "input", "response"]
PAIR_COLUMNS = ["record_id", "kept_id", "cosine"]



def sample_shard(shard: pd.DataFrame, index: int, config: PipelineConfig) -> pd.DataFrame:
    settings = config.dedup.semantic
    return sample_of(shard.loc[:, COLUMNS], settings.sample, settings.seed)


@dataclass(frozen=True)
class SemanticModel:
    embedder: Embedder | SentenceTransformerEmbedder
    clusters: Clusters


@dataclass(frozen=True)
class EmbedAndPartition:
    """One shard: its kept records embedded, each written to the partition of each of its ``probe``
    nearest clusters with what decides which record a cluster keeps (real first, source order, longer)."""

    shards_uri: str
    model_uri: str
    folder_uri: str
    partitions: int
    probe: int

    def __call__(self, shard: pd.DataFrame, index: int, config: PipelineConfig) -> int:
        store = ShardStore(self.shards_uri)
        with store.filesystem.open_input_stream(store.path_of(f"{self.folder_uri}/kept-{index:05d}.npy")) as stream:
            kept = np.frombuffer(stream.read(), dtype=bool)
        records = shard[kept].reset_index(drop=True)
        if records.empty:
            return 0
        model = _model(self.shards_uri, self.model_uri)
        vectors = model.embedder.embed(frame_texts(records)).astype(np.float32)
        nearest = nearest_clusters(vectors, model.clusters.centroids, self.probe)
        rank = records["source"].map(config.catalog().source_rank).to_numpy(dtype=np.int64)
        columns = {"record_id": records["record_id"].astype(str).to_numpy(), "synthetic": (records["kind"] != "real").to_numpy(),
                   "rank": rank, "shorter": -records["response"].fillna("").str.len().to_numpy(dtype=np.int64)}
        parts = []
        for level in range(nearest.shape[1]):
            parts.append(pa.table({**columns, "cluster": nearest[:, level].astype(np.int32),
                                   "primary": np.full(len(records), level == 0),
                                   "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)),
                                                                                  vectors.shape[1])}))
        table = pa.concat_tables(parts)
        partition = (table["cluster"].to_numpy() % self.partitions)
        for number in np.unique(partition):
            rows = table.filter(pa.array(partition == number))
            pq.write_table(rows, store.path_of(f"{self.folder_uri}/p{number:05d}-s{index:05d}.parquet"),
                           filesystem=store.filesystem, compression="none")
        return len(records)


@dataclass(frozen=True)
class DedupPartition:
    """One partition's clusters, each decided best record first (``cluster_duplicates``)."""

    shards_uri: str
    folder_uri: str
    threshold: float
    band: float = 0.03

    def __call__(self, partition: int) -> tuple[list[tuple[str, str, float]], dict[tuple[str, str], float]]:
        store = ShardStore(self.shards_uri)
        folder = store.path_of(self.folder_uri)
        paths = sorted(info.path for info in store.filesystem.get_file_info(pafs.FileSelector(folder))
                       if info.base_name.startswith(f"p{partition:05d}-"))
        if not paths:
            return [], {}
        table = pa.concat_tables([pq.read_table(path, filesystem=store.filesystem) for path in paths])
        frame = table.drop(["embedding"]).to_pandas()
        embeddings = table["embedding"].combine_chunks().flatten().to_numpy().reshape(len(frame), -1)
        found, near = SemanticDuplicates(), {}
        ordered = frame.sort_values(["cluster", "synthetic", "rank", "shorter", "record_id"], kind="mergesort")
        ids = frame["record_id"].to_numpy()
        for _, members in ordered.groupby("cluster", sort=True):
            places = members.index.to_numpy()
            cluster_duplicates(embeddings[places], places, members["primary"].to_numpy(), self.threshold, self.band,
                               found, near)
        dropped = [(ids[row], ids[kept], cosine) for row, (kept, cosine) in found.dropped.items()]
        return dropped, {(ids[a], ids[b]): similarity for (a, b), similarity in near.items()}


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
                  workers: int, rows: pd.DataFrame, kept: np.ndarray) -> SemanticPass:
    """The kept records (``rows``: record_id, shard, shard_row of every record; ``kept``: which) that are
    semantic duplicates of a better one. Each worker embeds its shard's kept records and writes them to
    the partitions of their nearest clusters; each partition's clusters are then decided on a worker:
    no process holds more than a partition's embeddings."""
    settings = config.dedup.semantic
    kept_ids = set(rows.loc[kept, "record_id"])
    samples = list(map_shards(sample_shard, groups, config, shards_uri, workers, "deduplicated: semantic sample"))
    sample = sample_of(pd.concat(samples, ignore_index=True), settings.sample, settings.seed)
    sample = sample[sample["record_id"].isin(kept_ids)]
    empty = pd.DataFrame(columns=["record_id", "reason", "detail"])
    if len(sample) < 2:
        return SemanticPass(empty, pd.DataFrame(columns=PAIR_COLUMNS), [], {"compared": 0})
    embedder = make_embedder(frame_texts(sample), settings.dimensions, settings.seed, config.embedder_path(),
                             config.embedder.batch_size)
    clusters = fit_clusters([embedder.embed(frame_texts(sample))], settings.clusters, settings.seed)
    store = ShardStore(shards_uri)
    folder = f"{scratch_uri.rstrip('/')}/semantic"
    store.filesystem.create_dir(store.path_of(folder), recursive=True)
    model_uri = f"{folder}/{MODEL_FILE}"
    with store.filesystem.open_output_stream(store.path_of(model_uri)) as stream:
        stream.write(pickle.dumps(SemanticModel(embedder, clusters)))
    for index in range(len(groups)):
        in_shard = (rows["shard"] == index).to_numpy()
        mask = np.zeros(int(rows.loc[in_shard, "shard_row"].max()) + 1 if in_shard.any() else 0, dtype=bool)
        mask[rows.loc[in_shard, "shard_row"].to_numpy()] = kept[in_shard]
        with store.filesystem.open_output_stream(store.path_of(f"{folder}/kept-{index:05d}.npy")) as stream:
            stream.write(mask.tobytes())
    dimensions = clusters.centroids.shape[1]
    partitions = min(clusters.count, settings.partitions or max(
        worker_count(workers), -(-len(kept_ids) * settings.probe * dimensions * 4 // PARTITION_BYTES)))
    compared = sum(map_shards(EmbedAndPartition(shards_uri, model_uri, folder, partitions, settings.probe), groups,
                              config, shards_uri, workers, "deduplicated: embedding"))
    dropped: dict[str, tuple[str, float]] = {}
    near: dict[tuple[str, str], float] = {}
    task = DedupPartition(shards_uri, folder, settings.threshold)
    for found, close in tracked(map_tasks(task, list(range(partitions)), workers), "deduplicated: semantic pairs",
                                partitions, "partitions"):
        for record, kept_id, cosine in found:  # dropped in two clusters: the closer one named
            if record not in dropped or dropped[record][1] < cosine:
                dropped[record] = (kept_id, cosine)
        near.update(close)
    pairs = pd.DataFrame([(record, kept_id, cosine) for record, (kept_id, cosine) in sorted(dropped.items())],
                         columns=PAIR_COLUMNS)
    rejected = pd.DataFrame({"record_id": pairs["record_id"], "reason": REASON,
                             "detail": [f"semantic duplicate of {kept_id} (cosine {cosine:.3f} ≥ {settings.threshold})"
                                        for kept_id, cosine in zip(pairs["kept_id"], pairs["cosine"])]})
    return SemanticPass(rejected if len(rejected) else empty, pairs,
                        closest_to_threshold(near, settings.threshold, 10), {
        "compared": int(compared), "dropped": int(len(pairs)), "threshold": settings.threshold,
        "clusters": clusters.count, "probe": settings.probe, "partitions": partitions,
        "embedder": embedder.fingerprint})
