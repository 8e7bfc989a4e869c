"""The record store on an object store: a local S3 server (moto on 127.0.0.1) that pyarrow writes
shards to and DuckDB's views read from, through the same filesystem and no DuckDB extension."""

from __future__ import annotations

import numpy as np
import pyarrow.fs as pafs
import pytest

from curation_assets.core.records import empty_rejections
from curation_assets.storage.shards import RECORD_SCHEMA, ShardSize
from curation_assets.storage.warehouse import Warehouse
from record_frames import rejection_rows, rejections, records
from s3_server import running_s3_server


@pytest.fixture(scope="module")
def s3():
    with running_s3_server() as server:
        yield server


def _objects(warehouse: Warehouse, table: str) -> list[str]:
    selector = pafs.FileSelector(f"{warehouse.shards.root}/{table}", recursive=True, allow_not_found=True)
    return sorted(info.path for info in warehouse.shards.filesystem.get_file_info(selector)
                  if info.type == pafs.FileType.File)


def test_tables_published_to_s3_are_views_over_s3_objects_that_the_warehouse_answers(s3, tmp_path):
    uri = s3.new_bucket_uri()
    warehouse = Warehouse(tmp_path / "warehouse.duckdb", uri, ShardSize(records=4))
    first = records(10)
    warehouse.publish("cleaned", first.iloc[::-1], rejections(first.iloc[:2], "clean", "too_long"), stage="clean")

    bucket = uri.split("/")[2]
    parts = _objects(warehouse, "cleaned")
    assert len(parts) == 3 and all(part.startswith(f"{bucket}/shards/cleaned/") for part in parts)
    files = warehouse.read_frame("SELECT unnest(files) AS file FROM storage.shard_versions WHERE table_name = 'cleaned'")
    assert all(file.startswith(f"s3://{bucket}/shards/cleaned/") for file in files["file"])
    assert warehouse.read_records("cleaned")["record_id"].tolist() == first["record_id"].tolist()
    assert warehouse.read_frame("SELECT count(*) AS n FROM cleaned")["n"].tolist() == [10]
    assert [row[2] for row in rejection_rows(warehouse)] == ["too_long", "too_long"]

    # A republish replaces the objects: the old version's are deleted from the bucket.
    warehouse.publish("cleaned", records(3, start=50), empty_rejections("clean"), stage="clean")
    assert len(_objects(warehouse, "cleaned")) == 1 and not set(_objects(warehouse, "cleaned")) & set(parts)
    assert warehouse.read_frame("SELECT count(*) AS n FROM cleaned")["n"].tolist() == [3]


def test_shard_reads_by_row_and_by_footer_work_on_s3(s3, tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse.duckdb", s3.new_bucket_uri(), ShardSize(records=100))
    frame = records(30)
    version = warehouse.shards.write("train", "all", frame, RECORD_SCHEMA)
    (file,) = version.files
    store = warehouse.shards
    assert store.rows_in(file) == 30
    assert store.read_rows(file, np.array([2, 17, 29]))["record_id"].tolist() == frame["record_id"].iloc[[2, 17, 29]].tolist()
    with store.connect_duckdb() as connection:
        assert connection.execute("SELECT count(*) FROM read_parquet($files)", {"files": [file]}).fetchall() == [(30,)]



def test_duckdb_reads_every_row_group_of_a_large_remote_file_in_parallel(s3, tmp_path):
    """The signature spill files are uncompressed and have many row groups: reading them through
    fsspec's plain pyarrow wrapper failed with short reads ("Out of buffer") most of the time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    store = Warehouse(tmp_path / "warehouse.duckdb", s3.new_bucket_uri()).shards
    rows = 40_000
    generator = np.random.default_rng(7)
    table = pa.table({"record_id": [f"r{i:07d}" for i in range(rows)],
                      "signature": [generator.bytes(256) for _ in range(rows)]})
    path = f"{store.root}/spill/signatures.parquet"
    pq.write_table(table, path, filesystem=store.filesystem, compression="none", row_group_size=2_000)
    expected = [(rows, rows * 256)]
    for _ in range(5):
        with store.connect_duckdb() as connection:
            connection.execute("SET threads = 4")
            answer = connection.execute("SELECT count(*), sum(octet_length(signature)) FROM read_parquet($files)",
                                        {"files": [store.uri_of(path)]}).fetchall()
        assert answer == expected
