"""Each record's domain over the sharded table: a seeded sample taken shard by shard on the workers,
the model fitted once from it, then every shard classified on the workers (the model read from the
step's scratch folder in the record store, so Ray's workers on other machines read it too)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.semantic.record_domains import (DOMAIN_COLUMNS, TEXT_COLUMNS, DomainModel,
                                                          fit_domain_model, sample_of)
from curation_assets.engine.decided_stage import map_shards
from curation_assets.storage.shards import ShardStore

MODEL_FILE = "domain_model.pickle"


def sample_shard(shard: pd.DataFrame, index: int, config: PipelineConfig) -> pd.DataFrame:
    settings = config.mix.record_domains
    return sample_of(shard.loc[:, TEXT_COLUMNS], settings.sample, settings.seed)


@dataclass(frozen=True)
class ClassifyShard:
    shards_uri: str
    model_uri: str

    def __call__(self, shard: pd.DataFrame, index: int, config: PipelineConfig) -> pd.DataFrame:
        settings = config.mix.record_domains
        model = _model(self.shards_uri, self.model_uri)
        return model.classify(shard.loc[:, TEXT_COLUMNS], config.catalog().domain_of, settings.min_confidence)


@lru_cache(maxsize=2)
def _model(shards_uri: str, model_uri: str) -> DomainModel:
    store = ShardStore(shards_uri)
    with store.filesystem.open_input_stream(store.path_of(model_uri)) as stream:
        return pickle.loads(stream.read())


def classify_records(groups: list[tuple[str, ...]], config: PipelineConfig, shards_uri: str, scratch_uri: str,
                     workers: int) -> tuple[pd.DataFrame, DomainModel]:
    """``DOMAIN_COLUMNS`` for every record of the shards, and the model that decided them."""
    settings = config.mix.record_domains
    catalog = config.catalog()
    samples = list(map_shards(sample_shard, groups, config, shards_uri, workers, "mixed: sampling for domains"))
    sample = sample_of(pd.concat(samples, ignore_index=True), settings.sample, settings.seed) if samples else (
        pd.DataFrame(columns=TEXT_COLUMNS))
    model = fit_domain_model(sample, settings.trained_on, catalog.domain_of, settings.dimensions, settings.seed,
                             config.embedder_path())
    store = ShardStore(shards_uri)
    model_uri = f"{scratch_uri.rstrip('/')}/{MODEL_FILE}"
    with store.filesystem.open_output_stream(store.path_of(model_uri)) as stream:
        stream.write(pickle.dumps(model))
    parts = list(map_shards(ClassifyShard(shards_uri, model_uri), groups, config, shards_uri, workers,
                            "mixed: classifying domains"))
    domains = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=DOMAIN_COLUMNS)
    return domains, model
