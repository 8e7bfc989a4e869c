"""The Ray backend: shard tasks on a two-node Ray cluster on this machine give the tables of the
local engine, also with the record store on a local S3 server, and a task whose worker process
dies is run again."""

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
from s3_server import running_s3_server
from curation_assets.storage.warehouse import Warehouse
from support import SHARED_CONFIG, demo_config_dict, materialize_config, write_config

pytestmark = [pytest.mark.slow]

ray = pytest.importorskip("ray")  # a dev dependency: missing only where the project was installed without [dev]

TESTS_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def s3():
    with running_s3_server() as server:
        yield server


@pytest.fixture(scope="module")
def ray_cluster(s3):
    """Two nodes of one CPU each, small object stores, no dashboard; workers import the tests' helpers
    and inherit the S3 server's credentials."""
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

    @staticmethod
    def running_task() -> int | None:
        """The pid of a Ray worker process running a shard task, if one is."""
        for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
            try:
                with open(cmdline, "rb") as handle:
                    title = handle.read()
            except OSError:
                continue
            if title.startswith(b"ray::_run_task"):
                return int(cmdline.split("/")[2])
        return None

    def run(self) -> None:
        while not self.stop.is_set() and not self.killed:
            pid = self.running_task()
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append(pid)
                except ProcessLookupError:
                    pass
            self.stop.wait(0.01)


def _shared_data_on_ray(workdir: Path, address: str, **warehouse) -> Path:
    import yaml

    config = yaml.safe_load(SHARED_CONFIG.read_text(encoding="utf-8"))
    config["warehouse"].update(shard_records=3000, **warehouse)
    config["engine"] = {"backend": "ray", "workers": 2, "parallel_min_records": 0, "ray": {"address": address}}
    path = workdir / "shared-ray.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _assert_same_splits_files_and_rejections(local: Path, other: Path, other_shards: str | None = None) -> None:
    """Train/eval ids, export bytes and rejection counts of two runs, read through the warehouse (which
    reads shards wherever they are)."""
    def answer(folder: Path, statement: str):
        return Warehouse(folder / "warehouse.duckdb", other_shards if folder == other else None
                         ).read_frame(statement).values.tolist()

    for split in ("train", "eval"):
        ids = f"SELECT record_id FROM {split} ORDER BY record_id"
        assert answer(other, ids) == answer(local, ids), split
        assert b"".join(path.read_bytes() for path in sorted((other / "exports").glob(f"{split}-*-of-*.jsonl"))) == \
            b"".join(path.read_bytes() for path in sorted((local / "exports").glob(f"{split}-*-of-*.jsonl"))), split
    reasons = "SELECT stage, reason, count(*) FROM rejections GROUP BY ALL ORDER BY ALL"
    assert answer(other, reasons) == answer(local, reasons)


def test_the_shared_data_on_ray_with_a_worker_killed_mid_stage_gives_the_local_engines_splits_and_files(
        ray_cluster, shared_data_run, workdir):
    killer = WorkerKiller()
    killer.start()
    try:
        result = materialize_config(_shared_data_on_ray(workdir, ray_cluster))
    finally:
        killer.stop.set()
        killer.join()
    assert result.success
    assert killer.killed, "no shard task was seen running on a Ray worker"
    _assert_same_splits_files_and_rejections(shared_data_run[1], workdir)


def test_the_shared_data_on_ray_with_shards_on_s3_gives_the_local_engines_splits_and_files(
        ray_cluster, s3, shared_data_run, workdir, monkeypatch):
    shards = s3.new_bucket_uri()
    monkeypatch.setenv("CURATION_SHARDS", shards)
    assert materialize_config(_shared_data_on_ray(workdir, ray_cluster)).success
    assert not (workdir / "warehouse_shards").exists()  # nothing went to local disk instead
    files = Warehouse(workdir / "warehouse.duckdb", shards).read_frame(
        "SELECT unnest(files) AS file FROM storage.shard_versions WHERE table_name = 'train'")["file"]
    assert len(files) and all(file.startswith("s3://") for file in files)
    _assert_same_splits_files_and_rejections(shared_data_run[1], workdir, shards)


def _written(path: Path, config: dict) -> Path:
    return write_config(path, config["sources"], **{key: value for key, value in config.items() if key != "sources"})


def test_a_run_whose_cluster_vanishes_mid_stage_fails_in_one_clear_line_and_keeps_the_published_tables(
        workdir, tmp_path):
    """The head node (GCS, raylet, workers) is killed while shard tasks run: the CLI fails within
    seconds with the cause, and the warehouse still answers with the previous run's tables."""
    import subprocess
    import sys
    import time

    from ray.cluster_utils import Cluster

    config = demo_config_dict()
    assert materialize_config(_written(workdir / "local.yaml", config)).success
    before = Warehouse(workdir / "warehouse.duckdb").read_frame("SELECT record_id FROM train ORDER BY 1")

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "object_store_memory": 100 * 1024 * 1024,
                                                            "include_dashboard": False})
    killer = WorkerKiller()
    try:
        config["engine"] = {"backend": "ray", "workers": 2, "parallel_min_records": 0,
                            "ray": {"address": cluster.address}}
        config["warehouse"] = {"shard_records": 40}  # several shards: tasks go to the cluster
        path = _written(workdir / "ray.yaml", config)
        started = time.monotonic()
        run = subprocess.Popen([sys.executable, "-m", "curation_assets.cli", "run", "--config", str(path)],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while not killer.running_task() and run.poll() is None:
            time.sleep(0.01)
        assert run.poll() is None, "the run ended before a task ran on the cluster"
        cluster.head_node.kill_all_processes(check_alive=False, allow_graceful=False)
        _, stderr = run.communicate(timeout=180)
        elapsed = time.monotonic() - started
    finally:
        cluster.shutdown()
    assert run.returncode == 1, stderr[-3000:]
    assert "stopped answering mid-stage" in stderr and "every table keeps its previous version" in stderr
    assert elapsed < 120  # Ray alone would retry for a minute per connection
    after = Warehouse(workdir / "warehouse.duckdb").read_frame("SELECT record_id FROM train ORDER BY 1")
    assert after.equals(before)
