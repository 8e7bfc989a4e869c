"""Every train and eval record's embedding and topic, written shard by shard on the workers into the record
store (a folder or an object store, like the shards): one Parquet file per split shard (record_id, split,
topic, embedding), so no process holds them all."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from curation_assets.config import PipelineConfig
from curation_assets.core.semantic.embed import frame_texts
from curation_assets.engine.semantic_dedup import SemanticModel
from curation_assets.storage.shards import ShardStore

SCHEMA_FIELDS = ("record_id", "split", "topic", "embedding")


@dataclass(frozen=True)
class EmbedAndWrite:
    shards_uri: str
    model_uri: str
    folder_uri: str
    split: str

    def __call__(self, shard, index: int, config: PipelineConfig) -> int:
        model = _model(self.shards_uri, self.model_uri)
        vectors = model.embedder.embed(frame_texts(shard))
        dimensions = int(model.clusters.centroids.shape[1])
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, dimensions)
        table = pa.table({
            "record_id": pa.array(shard["record_id"].astype(str).tolist(), pa.string()),
            "split": pa.array([self.split] * len(shard), pa.string()),
            "topic": pa.array(model.clusters.assign(vectors), pa.int32()),
            "embedding": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), pa.float32()), dimensions),
        })
        store = ShardStore(self.shards_uri)
        pq.write_table(table, store.path_of(f"{self.folder_uri}/{self.split}-{index:05d}.parquet"),
                       filesystem=store.filesystem, compression="zstd")
        return len(shard)


@lru_cache(maxsize=2)
def _model(shards_uri: str, model_uri: str) -> SemanticModel:
    store = ShardStore(shards_uri)
    with store.filesystem.open_input_stream(store.path_of(model_uri)) as stream:
        return pickle.loads(stream.read())
