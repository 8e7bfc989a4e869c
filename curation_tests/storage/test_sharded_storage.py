"""Record tables as Parquet shards behind DuckDB views: sharding, atomic publish (also under SIGKILL),
old versions removed, and a warehouse written before sharding migrated."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pandas as pd

from curation_assets.core.records import empty_rejections
from curation_assets.storage.shards import RECORD_SCHEMA, REJECTION_SCHEMA, ShardSize
from curation_assets.storage.warehouse import Warehouse
from record_frames import rejection_rows, rejections, records


def shard_files(warehouse: Warehouse, table: str) -> list[Path]:
    return sorted(Path(warehouse.shards.root, table).rglob("*.parquet"))


def test_a_table_is_split_into_shards_of_the_configured_size_and_reads_back_whole(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse.duckdb", shard_size=ShardSize(records=4))
    published = records(10)
    warehouse.publish("cleaned", published.iloc[::-1], empty_rejections("clean"), stage="clean")

    files = shard_files(warehouse, "cleaned")
    assert [file.name for file in files] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert files[0].parent.parent.parent == tmp_path / "warehouse_shards" / "cleaned"
    pd.testing.assert_frame_equal(warehouse.read_records("cleaned"), published)
    # The view is what a user queries in the warehouse file.
    with duckdb.connect(str(warehouse.path), read_only=True) as connection:
        kind = connection.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'cleaned'").fetchall()
        assert kind == [("VIEW",)]
        assert connection.execute("SELECT count(*), min(source_position) FROM cleaned").fetchall() == [(10, 0)]


def test_shard_size_in_bytes_closes_shards_before_the_record_limit(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse.duckdb", shard_size=ShardSize(records=1000, bytes=1024))
    warehouse.publish("cleaned", records(40), empty_rejections("clean"), stage="clean")
    # About 100 characters of text per record: 1 KiB holds 9 or 10 of them.
    assert 4 <= len(shard_files(warehouse, "cleaned")) <= 5
    assert len(warehouse.read_records("cleaned")) == 40


def test_the_same_records_give_byte_identical_shards(tmp_path):
    digests = []
    for run in range(2):
        warehouse = Warehouse(tmp_path / f"run{run}" / "warehouse.duckdb", shard_size=ShardSize(records=7))
        warehouse.publish("train", records(20), empty_rejections("split"), stage="split")
        digests.append([hashlib.sha256(file.read_bytes()).hexdigest() for file in shard_files(warehouse, "train")])
    assert digests[0] == digests[1] and len(digests[0]) == 3


def test_republishing_removes_the_replaced_version_and_its_rejections(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    first = records(6)
    warehouse.publish("cleaned", first, rejections(first.iloc[:2], "clean", "too_long"), stage="clean")
    second = records(3, start=50)
    warehouse.publish("cleaned", second, rejections(second.iloc[:1], "clean", "refusal"), stage="clean")

    assert len({file.parent for file in shard_files(warehouse, "cleaned")}) == 1
    assert len({file.parent for file in shard_files(warehouse, "rejections")}) == 1
    assert [row[2] for row in rejection_rows(warehouse)] == ["refusal"]
    versions = warehouse.read_frame("SELECT table_name, state, rows FROM storage.shard_versions ORDER BY ALL")
    assert versions.values.tolist() == [["cleaned", "current", 3], ["rejections", "current", 1]]


def test_partitions_replace_only_their_own_rows_and_rejections(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    alpha, beta = records(4, source="alpha"), records(3, source="beta")
    for source, frame, rejected in (("inbox/a.jsonl", alpha, rejections(alpha.iloc[:1], "load", "bad")),
                                    ("inbox/b.jsonl", beta, rejections(beta.iloc[:1], "load", "bad")),
                                    ("inbox/a.jsonl", alpha.iloc[:2], empty_rejections("load"))):
        warehouse.publish_partition("raw_inbox", source, frame, rejected, "load", quarantine="raw_inbox_file")

    assert sorted(warehouse.read_records("raw_inbox")["source"]) == ["alpha", "alpha", "beta", "beta", "beta"]
    assert [row[0] for row in rejection_rows(warehouse)] == ["load"]  # only b's rejection is left
    assert (Path(warehouse.shards.root) / "raw_inbox" / "inbox%2Fa.jsonl").is_dir()


_INTERRUPTED_PUBLISH = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from curation_assets.core.records import empty_rejections
    from curation_assets.storage.shards import RECORD_SCHEMA, REJECTION_SCHEMA, ShardSize
    from curation_assets.storage.warehouse import Warehouse
    from record_frames import records
    # One record per shard: writing the new version takes long enough to be killed in the middle.
    warehouse = Warehouse({path!r}, shard_size=ShardSize(records=1))
    warehouse.publish("cleaned", records(5000, start=10_000), empty_rejections("clean"), stage="clean")
""")


def test_a_publish_killed_while_writing_leaves_the_old_version_readable(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    warehouse = Warehouse(path)
    old = records(12)
    warehouse.publish("cleaned", old, rejections(old.iloc[:1], "clean", "refusal"), stage="clean")

    script = _INTERRUPTED_PUBLISH.format(tests=str(Path(__file__).parents[1]), path=str(path))
    writer = subprocess.Popen([sys.executable, "-c", script], env={**os.environ})
    table_folder = Path(warehouse.shards.root) / "cleaned" / "_all"
    deadline = time.monotonic() + 120
    while len(list(table_folder.glob("*/part-*.parquet"))) < 50:  # the old version has 1 file
        assert writer.poll() is None and time.monotonic() < deadline, "the writer finished before it was killed"
        time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait()

    pd.testing.assert_frame_equal(Warehouse(path).read_records("cleaned"), old)
    assert [row[2] for row in rejection_rows(Warehouse(path))] == ["refusal"]
    # The half-written version is an orphan nobody reads; once old enough it is removed.
    versions = sorted(folder.name for folder in table_folder.iterdir())
    assert len(versions) == 2
    known = {("cleaned", "_all", name) for name in warehouse.read_frame(
        "SELECT version FROM storage.shard_versions WHERE table_name = 'cleaned'")["version"]}
    orphans = warehouse.shards.orphans(known, "cleaned", "_all", now=time.time() + 7200)
    assert len(orphans) == 1 and orphans[0][2] not in {key[2] for key in known}


def test_a_warehouse_written_before_sharding_is_migrated(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    old = records(5, source="alpha")
    with duckdb.connect(str(path)) as connection:  # the layout of the previous release: plain tables
        connection.register("old", old)
        connection.execute("CREATE TABLE cleaned AS SELECT * FROM old")
        connection.execute("CREATE TABLE raw_inbox AS SELECT * FROM old")
        connection.register("old_rejections", rejections(old.iloc[:2], "dedup", "exact_duplicate"))
        connection.execute("CREATE TABLE rejections AS SELECT * FROM old_rejections")

    warehouse = Warehouse(path)
    assert [row[2] for row in rejection_rows(warehouse)] == ["exact_duplicate", "exact_duplicate"]
    pd.testing.assert_frame_equal(warehouse.read_records("cleaned"), old)  # still a table until republished
    warehouse.publish("cleaned", records(2, start=40), empty_rejections("clean"), stage="clean")
    warehouse.publish_partition("raw_inbox", "beta", records(1, source="beta"), empty_rejections("load"), "load")

    assert len(warehouse.read_records("cleaned")) == 2
    assert sorted(set(warehouse.read_records("raw_inbox")["source"])) == ["alpha", "beta"]
    tables = warehouse.read_frame("SELECT table_name, table_type FROM information_schema.tables "
                                  "WHERE table_schema = 'main' ORDER BY ALL").values.tolist()
    assert tables == [["cleaned", "VIEW"], ["raw_inbox", "VIEW"], ["rejections", "VIEW"]]


def test_sharded_output_that_failed_its_checks_is_quarantined_as_views_until_the_table_is_published(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse.duckdb", shard_size=ShardSize(records=4))
    kept_folder, rejected_folder = warehouse.new_versions("cleaned", "clean")
    frames = [records(3, start=0), records(2, start=10)]
    for index, frame in enumerate(frames):
        warehouse.shards.write_part(kept_folder.part(index), frame, RECORD_SCHEMA)
        warehouse.shards.write_part(rejected_folder.part(index), rejections(frame.iloc[:1], "clean", "refusal"),
                                    REJECTION_SCHEMA)
    kept = kept_folder.finished([kept_folder.part(0), kept_folder.part(1)], 5, 0)
    rejected = rejected_folder.finished([rejected_folder.part(0), rejected_folder.part(1)], 2, 0)
    warehouse.quarantine_versions("cleaned", kept, rejected)

    assert not warehouse.table_exists("cleaned")
    assert warehouse.read_frame("SELECT count(*) AS n FROM quarantine.cleaned")["n"][0] == 5
    assert warehouse.read_frame("SELECT count(*) AS n FROM quarantine.cleaned_rejections")["n"][0] == 2
    assert rejection_rows(warehouse) == []  # quarantined rejections are not published ones

    warehouse.publish("cleaned", records(1), empty_rejections("clean"), stage="clean")
    quarantine = warehouse.read_frame("SELECT count(*) AS n FROM information_schema.tables "
                                      "WHERE table_schema = 'quarantine'")["n"][0]
    assert quarantine == 0
    assert not Path(kept_folder.path).exists() and not Path(rejected_folder.path).exists()


def test_a_stage_with_two_tables_quarantines_both_then_publishes_both_in_one_transaction(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")

    def written() -> dict:
        train_folder, rejected_folder = warehouse.new_versions("train", "split")
        eval_folder = warehouse.new_table_version("eval")
        versions = {}
        for name, folder, frame, schema in (("train", train_folder, records(3), RECORD_SCHEMA),
                                            ("eval", eval_folder, records(1, start=10), RECORD_SCHEMA),
                                            ("rejected", rejected_folder, empty_rejections("split"), REJECTION_SCHEMA)):
            size = warehouse.shards.write_part(folder.part(0), frame, schema)
            versions[name] = folder.finished([folder.part(0)], len(frame), size)
        return versions

    failed = written()
    warehouse.quarantine_versions("train", failed["train"], failed["rejected"], also_versions=[failed["eval"]])
    assert not warehouse.table_exists("train") and not warehouse.table_exists("eval")
    assert [warehouse.read_frame(f"SELECT count(*) AS n FROM quarantine.{name}")["n"][0] for name in ("train", "eval")] == [3, 1]

    passed = written()
    warehouse.publish_versions(passed["train"], passed["rejected"], whole_stage=True, quarantine="train",
                               also_versions=[passed["eval"]])
    assert [len(warehouse.read_records(name)) for name in ("train", "eval")] == [3, 1]
    assert warehouse.read_frame("SELECT count(*) AS n FROM information_schema.tables "
                                "WHERE table_schema = 'quarantine'")["n"][0] == 0
    states = warehouse.read_frame("SELECT table_name, state FROM storage.shard_versions ORDER BY ALL")
    assert sorted(map(tuple, states.itertuples(index=False))) == [("eval", "current"), ("rejections", "current"),
                                                                   ("train", "current")]
    assert not Path(failed["eval"].files[0]).exists()  # the quarantined version went with the publish
