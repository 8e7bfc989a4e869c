"""Semantic dedup in the graph (dedup.semantic.threshold): paraphrases planted among real public data,
which MinHash keeps, are dropped as semantic_duplicate naming the record kept, and listed in their table."""

from __future__ import annotations

import json
import re

import pytest

from support import PARAPHRASES, demo_config_dict, materialize_config, query, warehouse_in, write_jsonl, write_yaml

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def run(tmp_path_factory, shared_data):
    folder = tmp_path_factory.mktemp("semantic_dedup")
    math = [json.loads(line) for line in (shared_data / "gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [{"q": m["question"], "a": m["answer"]} for m in math[:300]] + [
        {"q": question, "a": answer} for pair in PARAPHRASES
        for question, answer in (re.split(r"(?<=[.?]) ", text, maxsplit=1) for text in pair)]
    path = write_jsonl(folder / "logs.jsonl", rows)
    config = demo_config_dict()
    config["sources"] = [{"name": "logs", "path": str(path), "format": "jsonl", "kind": "real", "license": "MIT",
                          "fields": {"instruction": "q", "response": "a"}}]
    config["synthetic"] = {"batches": []}
    config["mix"] = {"max_synthetic_fraction": 0.5}
    config["decontaminate"] = {"benchmarks": []}
    config["dedup"] = {"semantic": {"threshold": 0.9, "clusters": 8, "partitions": 3}}
    config["embedder"] = {"store": True, "topics": 6, "dimensions": 32}
    config["warehouse"] = {**config.get("warehouse", {}), "shard_records": 100}  # several shards
    config.pop("inbox", None)
    config_path = write_yaml(folder / "config.yaml", config)
    with warehouse_in(folder):
        result = materialize_config(config_path)
        again = materialize_config(config_path, selection=["embeddings"])
    assert again.success
    return result, folder / "warehouse.duckdb"


def test_the_planted_paraphrases_are_semantic_duplicates_of_their_originals(run):
    result, warehouse = run
    assert result.success
    assert [e.check_name for e in result.get_asset_check_evaluations() if not e.passed] == []
    ids = dict(query(warehouse, "SELECT source_position, record_id FROM raw_logs WHERE source_position > 300"))
    reasons = dict(query(warehouse, "SELECT record_id, reason || ': ' || detail FROM rejections WHERE stage = 'dedup' "
                                    "AND source_position > 300"))
    pairs = query(warehouse, "SELECT record_id, kept_id, cosine FROM semantic_duplicates")
    for one, other in ((301, 302), (303, 304), (305, 306)):
        # one of each pair is kept (the longer answer), the other dropped naming it
        dropped, kept = (ids[one], ids[other]) if ids[one] in reasons else (ids[other], ids[one])
        assert kept not in reasons
        assert reasons[dropped].startswith(f"semantic_duplicate: semantic duplicate of {kept} (cosine 0."), reasons
        assert (dropped, kept) in {(a, b) for a, b, _ in pairs}
    assert all(cosine >= 0.9 for _, _, cosine in pairs)
    [materialization] = [m for m in result.asset_materializations_for_node("deduplicated")
                         if m.asset_key.path == ["deduplicated"]]
    stats = materialization.metadata["semantic_duplicates"].value
    assert stats["dropped"] == len(pairs) and stats["threshold"] == 0.9 and stats["partitions"] == 3
    near = materialization.metadata["semantic_pairs_nearest_the_threshold"].value
    assert near == "No pair near the threshold." or near.startswith("| cosine | one | the other |")


def test_every_train_and_eval_record_has_its_stored_embedding_and_topic(run):
    _, warehouse = run
    counts = dict(query(warehouse, "SELECT split, count(*) FROM embeddings GROUP BY ALL"))
    assert counts == {"train": query(warehouse, "SELECT count(*) FROM main.train")[0][0],
                      "eval": query(warehouse, "SELECT count(*) FROM main.eval")[0][0]}
    assert query(warehouse, "SELECT count(*) FROM embeddings e ANTI JOIN main.train t USING (record_id) "
                            "WHERE e.split = 'train'") == [(0,)]
    (vector, topic), = query(warehouse, "SELECT embedding, topic FROM embeddings ORDER BY record_id LIMIT 1")
    assert len(vector) == 32 and 0 <= topic < 6
    assert abs(sum(value * value for value in vector) - 1.0) < 1e-4  # unit length: a dot product is a cosine
    # the nearest neighbour of a record is found with DuckDB's array functions
    (similarity,), = query(warehouse, """
        SELECT max(list_cosine_similarity(a.embedding, b.embedding)) FROM embeddings a, embeddings b
        WHERE a.record_id < b.record_id""")
    assert 0.5 < similarity <= 1.0001
    # the re-materialization replaced the files: one run's folder, the view reads only it
    folders = [path for path in (warehouse.parent / "warehouse_shards" / "embeddings").iterdir()]
    assert len(folders) == 1 and all(path.suffix == ".parquet" for path in folders[0].iterdir())


def test_the_semantic_duplicates_table_has_the_columns_its_catalog_entry_describes(run):
    from curation_assets.defs.side_tables import COLUMNS

    _, warehouse = run
    described = [(name, type_) for name, type_, _ in COLUMNS["semantic_duplicates"]]
    assert described == [(row[0], row[1]) for row in query(warehouse, "DESCRIBE main.semantic_duplicates")]
