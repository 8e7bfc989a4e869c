"""embeddings: every train and eval record's embedding and topic (embedder.store), as Parquet files in the
record store (one per split shard, written by the workers) and the warehouse view ``embeddings`` over them:
``SELECT split, topic, count(*) FROM embeddings GROUP BY ALL``, or nearest neighbours with
``list_cosine_similarity``."""

import pickle

import dagster as dg
import pyarrow.fs as pafs

from curation_assets.config import PipelineConfig
from curation_assets.core.semantic.clusters import fit_clusters
from curation_assets.core.semantic.embed import frame_texts, make_embedder
from curation_assets.defs.report import split_sample
from curation_assets.defs.resources import WarehouseResource
from curation_assets.defs.split import EVAL_KEY, GROUP, TRAIN_KEY
from curation_assets.engine.decided_stage import map_shards
from curation_assets.engine.embeddings import EmbedAndWrite
from curation_assets.engine.semantic_dedup import SemanticModel
from curation_assets.storage.shards import file_list_literal
from curation_assets.storage.sql_files import sql

EMBEDDINGS_KEY = dg.AssetKey("embeddings")
FOLDER = "embeddings"


def definitions(config: PipelineConfig) -> dg.Definitions:
    settings = config.embedder
    if not settings.store:
        return dg.Definitions()

    @dg.asset(
        key=EMBEDDINGS_KEY,
        deps=[TRAIN_KEY, EVAL_KEY],
        group_name=GROUP,
        kinds={"duckdb", "parquet"},
        description=f"Every train and eval record's embedding and topic ({settings.topics} k-means topics), "
                    f"as Parquet files in the record store ({FOLDER}/) and the view `embeddings`.",
        code_version=config.stage_version(settings),
    )
    def embeddings(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        sample = split_sample(store, "train", settings.sample, settings.seed)
        texts = frame_texts(sample)
        if len(sample) < 3:
            raise dg.Failure(f"train holds {len(sample)} records: too few to fit the embeddings on")
        embedder = make_embedder(texts, settings.dimensions, settings.seed, config.embedder_path(), settings.batch_size)
        clusters = fit_clusters([embedder.embed(texts)], settings.topics, settings.seed)
        shards = store.shards
        root = shards.root.rstrip("/")
        folder = f"{root}/{FOLDER}/{context.run_id}"
        shards.filesystem.create_dir(folder, recursive=True)
        rows = {}
        with shards.scratch_folder("embeddings") as scratch:
            model_uri = f"{scratch}/model.pickle"
            with shards.filesystem.open_output_stream(shards.path_of(model_uri)) as stream:
                stream.write(pickle.dumps(SemanticModel(embedder, clusters)))
            for split in ("train", "eval"):
                with store.reading(split) as files:
                    written = map_shards(EmbedAndWrite(shards.root_uri, model_uri, shards.uri_of(folder), split),
                                         [(f,) for f in files], config, shards.root_uri, config.engine.workers,
                                         f"embeddings: {split}")
                    rows[split] = sum(written)
        files = sorted(shards.uri_of(info.path) for info in shards.filesystem.get_file_info(pafs.FileSelector(folder))
                       if info.path.endswith(".parquet"))
        with store.connect() as connection:
            connection.execute(sql("point_view", table="embeddings")
                               + (f"SELECT * FROM read_parquet({file_list_literal(files)})" if files else
                                  "SELECT NULL::VARCHAR AS record_id, NULL::VARCHAR AS split, NULL::INTEGER AS topic, "
                                  "NULL::FLOAT[] AS embedding WHERE false"))
        for info in shards.filesystem.get_file_info(pafs.FileSelector(f"{root}/{FOLDER}")):
            if info.path.rstrip("/") != folder:  # an earlier run's files: the view no longer reads them
                shards.filesystem.delete_dir(info.path)
        return dg.MaterializeResult(metadata={
            "records": dg.MetadataValue.json(rows), "embedder": embedder.fingerprint, "dimensions": embedder.dimensions,
            "topics": clusters.count, "folder": shards.uri_of(folder),
            "dagster/row_count": sum(rows.values()),
        })

    return dg.Definitions(assets=[embeddings])
