"""The Ray backend: shard tasks on a two-node Ray cluster on this machine give the tables of the
local engine, and a task whose worker process dies is run again."""

from __future__ import annotations

import glob
import os
import signal
import threading
from pathlib import Path

import pytest

from curation_assets.engine import ray_engine
from curation_assets.engine.pool import map_tasks, using_engine
from curation_assets.engine.settings import EngineConfig, RaySettings
from pool_tasks import die_once
from support import SHARED_CONFIG, demo_config_dict, materialize_config, query, write_config

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


def test_an_unreachable_cluster_fails_at_once_with_the_address_and_the_fix():
    from curation_assets.engine.ray_engine import RayUnavailableError

    with pytest.raises(RayUnavailableError, match=r"cannot reach the Ray cluster at '127.0.0.1:1'.*ray start --head"):
        with using_engine(_ray_engine("127.0.0.1:1")):
            pass


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


class WorkerKiller(threading.Thread):
    """SIGKILLs the first Ray worker process it sees running a shard task (its title is ray::_run_task)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.killed: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and not self.killed:
            for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
                try:
                    with open(cmdline, "rb") as handle:
                        title = handle.read()
                except OSError:
                    continue
                if title.startswith(b"ray::_run_task"):
                    pid = int(cmdline.split("/")[2])
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        continue
                    self.killed.append(pid)
                    break
            self.stop.wait(0.01)


def test_the_shared_data_on_ray_with_a_worker_killed_mid_stage_gives_the_local_engines_splits_and_files(
        ray_cluster, shared_data_run, workdir):
    import yaml

    config = yaml.safe_load(SHARED_CONFIG.read_text(encoding="utf-8"))
    config["warehouse"]["shard_records"] = 3000
    config["engine"] = {"backend": "ray", "workers": 2, "parallel_min_records": 0, "ray": {"address": ray_cluster}}
    path = workdir / "shared-ray.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    killer = WorkerKiller()
    killer.start()
    try:
        result = materialize_config(path)
    finally:
        killer.stop.set()
        killer.join()
    assert result.success
    assert killer.killed, "no shard task was seen running on a Ray worker"

    local, on_ray = shared_data_run[1], workdir
    for split in ("train", "eval"):
        ids = f"SELECT record_id FROM {split} ORDER BY record_id"
        assert query(on_ray / "warehouse.duckdb", ids) == query(local / "warehouse.duckdb", ids), split
        assert b"".join(path.read_bytes() for path in sorted((on_ray / "exports").glob(f"{split}-*-of-*.jsonl"))) == \
            b"".join(path.read_bytes() for path in sorted((local / "exports").glob(f"{split}-*-of-*.jsonl"))), split
    reasons = "SELECT stage, reason, count(*) FROM rejections GROUP BY ALL ORDER BY ALL"
    assert query(on_ray / "warehouse.duckdb", reasons) == query(local / "warehouse.duckdb", reasons)
