"""The selection's per-record measures, shard by shard on the workers: each train shard's quality scores
and topic clusters come back as slim rows (no text), so the selection itself holds a few numbers a record."""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.report.split_profile import example_tokens
from curation_assets.core.select.selection import quality_scores
from curation_assets.core.semantic.embed import frame_texts
from curation_assets.engine.semantic_dedup import SemanticModel
from curation_assets.storage.shards import ShardStore

SLIM_COLUMNS = ["record_id", "source", "kind", "score", "cluster", "tokens"]


def judge_scores(lineages: pd.Series) -> pd.Series:
    """The verify judge's 1-5 score from each record's lineage; NaN for a record never judged."""
    def score(lineage: str):
        judged = (json.loads(lineage).get("verification") or {}).get("judge") or {}
        return judged.get("score", np.nan)
    return lineages.map(score).astype(float)


@dataclass(frozen=True)
class ScoreShard:
    shards_uri: str
    model_uri: str | None  # None: one cluster (a train too small to cluster)

    def __call__(self, shard: pd.DataFrame, index: int, config: PipelineConfig) -> pd.DataFrame:
        settings = config.selection
        if self.model_uri is None:
            clusters = np.zeros(len(shard), dtype=np.int32)
        else:
            model = _model(self.shards_uri, self.model_uri)
            clusters = model.clusters.assign(model.embedder.embed(frame_texts(shard)))
        # A budget in tokens counts whole training examples as the trainer sees them (report.tokenizer).
        tokens = (example_tokens(shard, config.report_settings().tokenizer) if settings.budget_tokens is not None
                  else np.ones(len(shard), dtype=np.int64))
        return pd.DataFrame({"record_id": shard["record_id"].to_numpy(), "source": shard["source"].to_numpy(),
                             "kind": shard["kind"].to_numpy(),
                             "score": quality_scores(shard, judge_scores(shard["lineage"]), settings),
                             "cluster": clusters, "tokens": tokens})


@lru_cache(maxsize=2)
def _model(shards_uri: str, model_uri: str) -> SemanticModel:
    store = ShardStore(shards_uri)
    with store.filesystem.open_input_stream(store.path_of(model_uri)) as stream:
        return pickle.loads(stream.read())
