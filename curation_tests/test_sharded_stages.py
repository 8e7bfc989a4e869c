"""Stages that run shard by shard on the worker pool give the same tables as one shard in one process,
and their checks still guard the whole table."""

from __future__ import annotations

import hashlib
import json

import pytest

from support import demo_config_dict, materialize_config, query, write_config

pytestmark = [pytest.mark.slow]

SHARDED_TABLES = ("combined", "mixed", "cleaned", "decontaminated", "deduplicated", "train", "eval")
# What the decided stages (mix, dedup) write beside their records, decided over all shards at once.
SIDE_TABLES = {
    "mix_report": "domain",
    "duplicate_clusters": "cluster_id",
    "conflicts": "conflict_id",
    "dedup_history": "record_id",
}


# The shared demo run reads the demo config in place (relative paths in lineage); this test writes
# it elsewhere with absolute paths; synthetic batches stamp their generation time. Lineage is compared
# without those two.
_WITHOUT_FILE = "json_remove(json_remove(lineage, '$.file'), '$.generated_at')"


def _rows(warehouse, table: str) -> list[tuple]:
    return query(warehouse, f"SELECT * EXCLUDE (lineage), {_WITHOUT_FILE} FROM {table} ORDER BY record_id")


def _rejections(warehouse) -> list[tuple]:
    return query(warehouse, f"SELECT * EXCLUDE (lineage), {_WITHOUT_FILE} FROM rejections ORDER BY stage, record_id")


def _shards(warehouse, table: str) -> int:
    return query(warehouse, "SELECT len(files) FROM storage.shard_versions WHERE table_name = ? AND state = 'current'",
                 [table])[0][0]


def test_many_shards_on_two_workers_give_the_tables_of_one_shard(demo_run, workdir):
    config = demo_config_dict()
    config["warehouse"] = {"shard_records": 40}
    config["engine"] = {"workers": 2, "parallel_min_records": 0}
    config["export"]["records_per_file"] = 50
    result = materialize_config(write_config(workdir / "sharded.yaml", **_as_sections(config)))
    assert result.success

    one_shard = demo_run[1] / "warehouse.duckdb"
    many = workdir / "warehouse.duckdb"
    assert _shards(one_shard, "cleaned") == 1
    assert _shards(many, "cleaned") > 5 and _shards(many, "deduplicated") > 5
    assert _shards(many, "train") == _shards(many, "eval") == _shards(many, "deduplicated")  # split shard by shard
    for table in SHARDED_TABLES:
        assert _rows(many, table) == _rows(one_shard, table), table
    assert _rejections(many) == _rejections(one_shard)
    for table, key in SIDE_TABLES.items():
        rows = query(many, f"SELECT * FROM {table} ORDER BY {key}")
        assert rows and rows == query(one_shard, f"SELECT * FROM {table} ORDER BY {key}"), table
    assert _shards(many, "mixed") > 5
    # The exported files, byte for byte: the one-shard run's single file per split is the sharded
    # run's files of 50 records, in order (each written by a worker from the shard rows it holds).
    one_file, many_files = demo_run[1] / "exports", workdir / "exports"
    manifest = json.loads((many_files / "manifest.json").read_text())
    for split in ("train", "eval"):
        names = [entry["path"] for entry in manifest["files"] if entry["split"] == split]
        assert names == [path.name for path in sorted(many_files.glob(f"{split}-*-of-*.jsonl"))]
        assert b"".join((many_files / name).read_bytes() for name in names) == \
            (one_file / f"{split}-00000-of-00001.jsonl").read_bytes()
    assert len(names) == 1 and manifest["splits"]["train"]["files"] > 5
    assert all(entry["sha256"] == hashlib.sha256((many_files / entry["path"]).read_bytes()).hexdigest()
               for entry in manifest["files"])
    # A decided stage validates each output shard on the pool and merges the verdicts.
    deduplicated_gx = next(check for check in result.get_asset_check_evaluations()
                           if check.asset_key.path[-1] == "deduplicated" and check.check_name == "gx_deduplicated")
    assert deduplicated_gx.passed and deduplicated_gx.metadata["shards_validated"].value > 5
    cleaned = _materialization(result, "cleaned").metadata
    assert cleaned["shards"].value == _shards(many, "cleaned")
    assert json.loads(json.dumps(cleaned["drops_by_rule"].value)) == \
        _materialization(demo_run[0], "cleaned").metadata["drops_by_rule"].value


def _as_sections(config: dict) -> dict:
    return {"sources": config.pop("sources"), **config}


def _materialization(result, asset: str):
    """The step's materialization of ``asset`` itself (it also reports the side tables it wrote)."""
    (found,) = [m for m in result.asset_materializations_for_node(asset) if m.asset_key.to_user_string() == asset]
    return found
