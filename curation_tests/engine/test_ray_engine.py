"""The Ray backend: shard tasks on a two-node Ray cluster on this machine give the tables of the
local engine, and a task whose worker process dies is run again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from curation_assets.engine import ray_engine
from curation_assets.engine.pool import map_tasks, using_engine
from curation_assets.engine.settings import EngineConfig, RaySettings
from pool_tasks import die_once
from support import demo_config_dict, materialize_config, write_config

pytestmark = [pytest.mark.slow]

ray = pytest.importorskip("ray")  # a dev dependency: missing only where the project was installed without [dev]

TESTS_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ray_cluster():
    """Two nodes of one CPU each, small object stores, no dashboard; workers import the tests' helpers."""
    from ray.cluster_utils import Cluster

    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), saved]))
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": 100 * 1024 * 1024,
                                                            "include_dashboard": False})
    cluster.add_node(num_cpus=1, object_store_memory=100 * 1024 * 1024)
    cluster.wait_for_nodes()
    try:
        yield cluster.address
    finally:
        ray.shutdown()
        cluster.shutdown()
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def _ray_engine(address: str) -> EngineConfig:
    return EngineConfig(backend="ray", workers=2, ray=RaySettings(address=address))


def test_a_task_whose_worker_dies_runs_again_and_results_keep_task_order(ray_cluster, tmp_path):
    tasks = [(index, str(tmp_path)) for index in range(6)]
    with using_engine(_ray_engine(ray_cluster)):
        results = list(map_tasks(die_once, tasks, workers=2))
    assert results == [index * index for index in range(6)]
    assert (tmp_path / "died-2").exists()  # the worker did die once


def test_the_demo_on_two_ray_nodes_gives_the_tables_and_files_of_one_shard_in_one_process(
        ray_cluster, demo_run, workdir):
    from test_sharded_stages import SHARDED_TABLES, _as_sections, _rejections, _rows, _shards

    config = demo_config_dict()
    config["warehouse"] = {"shard_records": 40}
    config["engine"] = {"backend": "ray", "workers": 2, "parallel_min_records": 0, "ray": {"address": ray_cluster}}
    config["export"]["records_per_file"] = 50
    submitted = ray_engine.SUBMITTED["tasks"]
    result = materialize_config(write_config(workdir / "ray.yaml", **_as_sections(config)))
    assert result.success
    assert ray_engine.SUBMITTED["tasks"] - submitted > 30  # every stage's shards went to the cluster

    one_shard, on_ray = demo_run[1] / "warehouse.duckdb", workdir / "warehouse.duckdb"
    assert _shards(on_ray, "cleaned") > 5 and _shards(on_ray, "deduplicated") > 5
    for table in SHARDED_TABLES:
        assert _rows(on_ray, table) == _rows(one_shard, table), table
    assert _rejections(on_ray) == _rejections(one_shard)
    one_file, ray_files = demo_run[1] / "exports", workdir / "exports"
    for split in ("train", "eval"):
        assert b"".join(path.read_bytes() for path in sorted(ray_files.glob(f"{split}-*-of-*.jsonl"))) == \
            (one_file / f"{split}-00000-of-00001.jsonl").read_bytes()
