"""The DuckDB warehouse on real files: publish/read round trip, rejection replacement, quarantine, and
several processes writing to one file at once under the cross-process lock."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from curation_assets.core.records import RECORD_COLUMNS, empty_rejections
from curation_assets.storage.warehouse import Warehouse
from record_frames import TABLES_PER_WORKER, publish_tables, rejection_rows, rejections, records

WORKERS = 4


def test_published_records_read_back_identical_in_record_id_order(tmp_path):
    warehouse = Warehouse(tmp_path / "wh" / "warehouse.duckdb")  # the folder is created on demand
    published = records(25)
    warehouse.publish("loaded_alpha", published.iloc[::-1], empty_rejections("load"), stage="load", source="alpha")

    read = warehouse.read_records("loaded_alpha")
    pd.testing.assert_frame_equal(read, published)
    assert (tmp_path / "wh" / "warehouse.duckdb").is_file()


def test_republishing_a_table_replaces_its_rows(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    warehouse.publish("cleaned", records(10), empty_rejections("clean"), stage="clean")
    warehouse.publish("cleaned", records(3, start=100), empty_rejections("clean"), stage="clean")
    pd.testing.assert_frame_equal(warehouse.read_records("cleaned"), records(3, start=100))


def test_republishing_a_stage_replaces_its_rejections_and_leaves_other_stages_and_sources_alone(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    alpha, beta = records(5, "alpha"), records(4, "beta")
    warehouse.publish("loaded_alpha", alpha.iloc[2:], rejections(alpha.iloc[:2], "load", "malformed_json"),
                      stage="load", source="alpha")
    warehouse.publish("loaded_beta", beta.iloc[1:], rejections(beta.iloc[:1], "load", "missing_field"),
                      stage="load", source="beta")
    warehouse.publish("cleaned", alpha.iloc[3:], rejections(alpha.iloc[2:3], "clean", "empty_response"),
                      stage="clean")
    before = rejection_rows(warehouse)
    assert len(before) == 4

    # alpha's load runs again and now rejects only one (different) record
    warehouse.publish("loaded_alpha", alpha.drop(index=4), rejections(alpha.iloc[4:5], "load", "invalid_encoding"),
                      stage="load", source="alpha")
    warehouse.publish("loaded_alpha", alpha.drop(index=4), rejections(alpha.iloc[4:5], "load", "invalid_encoding"),
                      stage="load", source="alpha")  # twice: replaced, not doubled

    after = rejection_rows(warehouse)
    assert after == sorted([
        ("load", "alpha", "invalid_encoding", alpha["record_id"].iloc[4]),
        ("load", "beta", "missing_field", beta["record_id"].iloc[0]),
        ("clean", "alpha", "empty_response", alpha["record_id"].iloc[2]),
    ])

    # a stage published without a source replaces that stage's rejections from every source
    warehouse.publish("cleaned", alpha, empty_rejections("clean"), stage="clean")
    assert [row for row in rejection_rows(warehouse) if row[0] == "clean"] == []
    assert len(rejection_rows(warehouse)) == 2


def test_quarantine_writes_the_quarantine_schema_and_leaves_the_published_table_untouched(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    good = records(6)
    warehouse.publish("cleaned", good, rejections(records(1, "beta"), "clean", "empty_response"), stage="clean")
    bad = records(2, start=50)
    bad_rejections = rejections(records(3, start=60), "clean", "instruction_too_short")

    warehouse.quarantine("cleaned", bad, bad_rejections)

    pd.testing.assert_frame_equal(warehouse.read_records("cleaned"), good)
    quarantined = warehouse.read_frame("SELECT * FROM quarantine.cleaned ORDER BY record_id")
    assert quarantined["record_id"].tolist() == bad["record_id"].tolist()
    quarantined_rejections = warehouse.read_frame("SELECT * FROM quarantine.cleaned_rejections")
    assert sorted(quarantined_rejections["reason"]) == ["instruction_too_short"] * 3
    # the published rejections are not touched by a quarantine either
    assert [row[2] for row in rejection_rows(warehouse)] == ["empty_response"]


def test_publishing_again_clears_the_tables_old_quarantine(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    warehouse.quarantine("cleaned", records(2), empty_rejections("clean"))
    warehouse.publish("cleaned", records(4), empty_rejections("clean"), stage="clean")
    tables = warehouse.read_frame(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'quarantine' ORDER BY table_name"
    )
    assert tables["table_name"].tolist() == []


def test_unsafe_table_names_are_refused(tmp_path):
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    with pytest.raises(ValueError, match="not a safe SQL identifier"):
        warehouse.publish("x; DROP TABLE rejections", records(1), empty_rejections("load"), stage="load")


# --- several processes, one file -------------------------------------------------------------------------


@pytest.mark.slow  # several processes, each importing the package: 10-20 s on two busy cores
def test_parallel_processes_publishing_to_one_file_all_succeed(tmp_path):
    path = tmp_path / "shared.duckdb"
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    errors = context.Queue()
    processes = [
        context.Process(target=publish_tables, args=(str(path), worker, start, errors)) for worker in range(WORKERS)
    ]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(timeout=120)

    reported = []
    while not errors.empty():
        reported.append(errors.get())
    assert reported == []
    assert [process.exitcode for process in processes] == [0] * WORKERS

    with duckdb.connect(str(path), read_only=True) as connection:
        counts = dict(connection.execute(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall())
        rejected = connection.execute("SELECT count(*), count(DISTINCT stage) FROM rejections").fetchone()
    expected_tables = {f"worker_{w}_table_{t}" for w in range(WORKERS) for t in range(TABLES_PER_WORKER)}
    assert set(counts) - {"rejections"} == expected_tables
    for worker in range(WORKERS):
        for table in range(TABLES_PER_WORKER):
            assert Warehouse(path).read_records(f"worker_{worker}_table_{table}").shape == (3 + table, len(RECORD_COLUMNS))
    assert rejected == (WORKERS * TABLES_PER_WORKER, WORKERS * TABLES_PER_WORKER)
    assert not Path(str(path) + ".wal").exists()  # every writer closed cleanly
