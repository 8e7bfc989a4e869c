"""The DuckDB warehouse: one file, one writer at a time across every process.

Record tables (every stage's output and ``rejections``) are Parquet shards beside the file
(``shards.py``), exposed in the warehouse as views with the tables' names, so every query reads
them as before. A publish writes the new shards first, then, in one transaction, re-points the
views, records the version as current and writes the stage's other tables: readers see the old
version or the new one. Small tables (statistics, ladder, clusters, caches) stay DuckDB tables.

DuckDB lets only one process open a file for writing. Dagster's multiprocess executor (and two
concurrent runs) start many processes, so every connection here is taken under an exclusive
``flock`` on a sibling lock file and held only for the short read or publish, never for compute.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import duckdb
import pandas as pd

from curation_assets.core.records import REJECTION_COLUMNS, as_records, as_rejections, empty_records
from curation_assets.storage.shards import (RECORD_SCHEMA, REJECTION_SCHEMA, WHOLE_TABLE, ShardSize, ShardStore, Version,
                                            VersionFolder, file_list_literal, partition_folder)
from curation_assets.storage.sql_files import checked_identifier, sql

LOCK_TIMEOUT_SECONDS = 600.0


class WarehouseLockTimeout(TimeoutError):
    pass


@contextmanager
def exclusive_lock(lock_path: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WarehouseLockTimeout(f"waited {timeout:.0f}s for the warehouse lock {lock_path}")
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


REJECTIONS = "rejections"


def shard_root_beside(path: Path) -> str:
    """Where a warehouse keeps its shards unless told otherwise: ``<folder>/<file stem>_shards``."""
    return str(path.with_name(path.stem + "_shards"))


def _rejection_partition(stage: str, source: str | None) -> str:
    """A stage run over everything owns ``<stage>``; one source's (a file, a batch) owns ``<stage>/<source>``."""
    return stage if source is None else f"{stage}/{source}"


def _scalar(connection: duckdb.DuckDBPyConnection, query: str, parameters: dict):
    # fetchall, not fetchone: DuckDB refuses other work on a connection with a result left unread.
    return connection.execute(query, parameters).fetchall()[0][0]


def _drop_quarantine(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop what quarantine holds for ``table``: tables or views, whichever kind it holds."""
    connection.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
    held = connection.execute(sql("quarantine_relations"), {"table": checked_identifier(table)}).fetchall()
    for name, kind in held:
        connection.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} quarantine.{checked_identifier(name)}")


def _empty_select(schema) -> str:
    types = {"string": "VARCHAR", "int64": "BIGINT"}
    columns = ", ".join(f"NULL::{types[str(field.type)]} AS {field.name}" for field in schema)
    return f"SELECT {columns} WHERE false"


@contextmanager
def reader_lease(path: Path, exclusive: bool) -> Iterator[bool]:
    """A shared lease readers hold on a table's shards; the deleter asks for it exclusively, without
    waiting, and is told whether it got it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), (fcntl.LOCK_EX | fcntl.LOCK_NB) if exclusive else fcntl.LOCK_SH)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class Warehouse:
    def __init__(self, path: str | os.PathLike, shards_uri: str | None = None, shard_size: ShardSize = ShardSize(),
                 memory_limit: str | None = None) -> None:
        self.path = Path(path)
        self.memory_limit = memory_limit
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.shards = ShardStore(shards_uri or shard_root_beside(self.path.absolute()), shard_size)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection held under the cross-process lock; keep the block short."""
        with exclusive_lock(self.lock_path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = self.shards.connect_duckdb(str(self.path))
            try:
                if self.memory_limit:
                    connection.execute(f"SET memory_limit = '{self.memory_limit}'")  # a validated setting
                self._prepare(connection)
                yield connection
            finally:
                connection.close()

    def _prepare(self, connection: duckdb.DuckDBPyConnection) -> None:
        connection.execute(sql("create_shard_catalog"))
        if _scalar(connection, sql("base_table_exists"), {"table": REJECTIONS}):
            self._migrate_rejections(connection)
        if not _scalar(connection, sql("table_exists"), {"table": REJECTIONS}):
            connection.execute(sql("point_view", table=REJECTIONS) + _empty_select(REJECTION_SCHEMA))

    def read_records(self, table: str, missing_ok: bool = False) -> pd.DataFrame:
        """The record table; with ``missing_ok``, no records when it was never published (e.g. an empty inbox)."""
        with self.connect() as connection:
            if missing_ok and not _scalar(connection, sql("table_exists"), {"table": table}):
                return empty_records()
            return as_records(connection.execute(sql("read_table", table=table)).df())

    def table_exists(self, table: str) -> bool:
        with self.connect() as connection:
            return bool(_scalar(connection, sql("table_exists"), {"table": table}))

    def read_frame(self, query: str, parameters: dict | None = None) -> pd.DataFrame:
        with self.connect() as connection:
            return connection.execute(query, parameters or {}).df()

    def publish(
        self,
        table: str,
        records: pd.DataFrame,
        rejections: pd.DataFrame,
        stage: str,
        source: str | None = None,
        also: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    ) -> None:
        """Atomically replace ``table`` and this stage's (or source's) rejections; clear old quarantine.

        ``also`` writes a stage's other tables in the same transaction.
        """
        version = self.shards.write(checked_identifier(table), WHOLE_TABLE, records, RECORD_SCHEMA)
        self._publish(version, rejections, stage, source, quarantine=table, also=also)

    def publish_partition(self, table: str, source: str, records: pd.DataFrame, rejections: pd.DataFrame,
                          stage: str, quarantine: str | None = None) -> None:
        """Replace one partition of ``table`` (the rows whose ``source`` is ``source``, e.g. a synthetic
        batch or an inbox file) and its rejections in one transaction; the other partitions stay."""
        version = self.shards.write(checked_identifier(table), source, records, RECORD_SCHEMA)
        self._publish(version, rejections, stage, source, quarantine=quarantine or f"{table}_{source}")

    def _publish(self, version: Version, rejections: pd.DataFrame, stage: str, source: str | None, quarantine: str,
                 also: Callable[[duckdb.DuckDBPyConnection], None] | None = None) -> None:
        rejected = self.shards.write(REJECTIONS, _rejection_partition(stage, source),
                                     rejections.loc[:, list(REJECTION_COLUMNS)], REJECTION_SCHEMA)
        self.publish_versions(version, rejected, source is None, quarantine, also)

    def new_versions(self, table: str, stage: str, source: str | None = None) -> tuple[VersionFolder, VersionFolder]:
        """Folders for a whole-table publish written shard by shard: the table's, and the rejections' of
        the stage (or of one source's run of it)."""
        return self.new_table_version(table), self.shards.new_version(REJECTIONS, _rejection_partition(stage, source))

    def new_table_version(self, table: str) -> VersionFolder:
        """A folder for a whole-table version written shard by shard (e.g. a stage's second table)."""
        return self.shards.new_version(checked_identifier(table), WHOLE_TABLE)

    def discard(self, *folders: VersionFolder) -> None:
        """Versions written but never published (their step failed)."""
        for folder in folders:
            self.shards.delete_version(folder.table, folder.partition, folder.version)

    def publish_versions(self, version: Version, rejected: Version, whole_stage: bool, quarantine: str,
                         also: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
                         also_versions: Sequence[Version] = ()) -> None:
        """Make ``version`` current, replace the stage's (or one source's) rejections with ``rejected``,
        make ``also_versions`` (a stage's other whole tables, e.g. eval beside train) current, run
        ``also`` and clear the old quarantine, all in one locked transaction; then delete what it
        replaced."""
        written = (version, rejected, *also_versions)
        try:
            with self.connect() as connection:
                connection.execute("BEGIN TRANSACTION")
                try:
                    for table_version in (version, *also_versions):
                        self._drop_base_table(connection, table_version)
                        self._make_current(connection, table_version, whole=table_version.partition == WHOLE_TABLE)
                    self._make_current(connection, rejected, whole=whole_stage)
                    if also is not None:
                        also(connection)
                    for table, table_version in ((quarantine, version),
                                                 *((other.table, other) for other in also_versions)):
                        _drop_quarantine(connection, table)
                        connection.execute(sql("retire_quarantined"),
                                           {"table": table_version.table, "stage": rejected.partition})
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                self._delete_retired(connection)
        except BaseException:
            for failed in written:
                self.shards.delete_version(failed.table, failed.partition, failed.version)
            raise
        self._delete_orphans(*written)

    def _make_current(self, connection: duckdb.DuckDBPyConnection, version: Version, whole: bool) -> None:
        connection.execute(sql("retire_shard_versions"),
                           {"table": version.table, "partition": version.partition, "whole": whole})
        connection.execute(sql("insert_shard_version"), {
            "table": version.table, "partition": version.partition, "version": version.version,
            "files": list(version.files), "rows": version.rows, "bytes": version.bytes,
        })
        self._point_view(connection, version.table)

    def _point_view(self, connection: duckdb.DuckDBPyConnection, table: str) -> None:
        files = [row[0] for row in connection.execute(sql("current_shard_files"), {"table": table}).fetchall()]
        schema = REJECTION_SCHEMA if table == REJECTIONS else RECORD_SCHEMA
        body = (f"SELECT {', '.join(schema.names)} FROM read_parquet({file_list_literal(files)})"
                if files else _empty_select(schema))
        connection.execute(sql("point_view", table=table) + body)

    def _delete_retired(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Delete replaced versions nobody reads: reads through the views hold the warehouse lock, which
        is held here too; shard-by-shard readers hold their table's reader lease, and a table whose
        lease is held keeps its retired versions until a later publish."""
        for table, partition, version in connection.execute(sql("retired_shard_versions")).fetchall():
            with reader_lease(self._lease_path(table), exclusive=True) as free:
                if free:
                    self.shards.delete_version(table, partition, version)
                    connection.execute(sql("forget_shard_version"),
                                       {"table": table, "partition": partition, "version": version})

    def _lease_path(self, table: str) -> Path:
        return self.path.with_name(f"{self.path.name}.{table}.readers")

    @contextmanager
    def reading(self, table: str) -> Iterator[list[str]]:
        """The files of ``table``'s current shards, not deleted while the block runs (a reader lease),
        for work that reads them outside the warehouse lock."""
        with reader_lease(self._lease_path(table), exclusive=False):
            with self.connect() as connection:
                files = [row[0] for row in connection.execute(sql("current_shard_files"), {"table": table}).fetchall()]
            yield files

    def quarantine_versions(self, table: str, version: Version, rejected: Version,
                            also_versions: Sequence[Version] = ()) -> None:
        """Keep a sharded stage output that failed its checks readable as ``quarantine.<table>`` (views
        over its shards; ``also_versions``, the stage's other tables, under their own names), off the
        published path; republishing the table clears it."""
        held = [(version, table), (rejected, f"{table}_rejections"), *((other, other.table) for other in also_versions)]
        with self.connect() as connection:
            connection.execute("BEGIN TRANSACTION")
            for name in {table, *(other.table for other in also_versions)}:
                _drop_quarantine(connection, name)
            for written, name in held:
                connection.execute(sql("insert_shard_version"), {
                    "table": written.table, "partition": written.partition, "version": written.version,
                    "files": list(written.files), "rows": written.rows, "bytes": written.bytes})
                connection.execute(sql("mark_quarantined"), {"table": written.table, "version": written.version})
                schema = REJECTION_SCHEMA if written.table == REJECTIONS else RECORD_SCHEMA
                connection.execute(sql("quarantine_view", table=name)
                                   + f"SELECT {', '.join(schema.names)} FROM read_parquet({file_list_literal(written.files)})")
            connection.execute("COMMIT")

    def _delete_orphans(self, *published: Version) -> None:
        """Version folders of the partitions just published that no catalog row knows: a crashed writer's."""
        with self.connect() as connection:
            known = {(table, partition_folder(partition), version) for table, partition, version in
                     connection.execute("SELECT table_name, partition_key, version FROM storage.shard_versions").fetchall()}
        for version in published:
            for key in self.shards.orphans(known, version.table, version.partition):
                self.shards.delete_folder(*key)

    def _drop_base_table(self, connection: duckdb.DuckDBPyConnection, version: Version) -> None:
        """A warehouse written before record tables were sharded holds them as tables: a whole-table
        publish replaces one; a partition publish first moves the other partitions into shards."""
        if not _scalar(connection, sql("base_table_exists"), {"table": version.table}):
            return
        partitioned = version.partition != WHOLE_TABLE
        earlier = as_records(connection.execute(sql("read_table", table=version.table)).df()) if partitioned else None
        connection.execute(sql("drop_base_table", table=version.table))
        if partitioned:
            for source, rows in earlier[earlier["source"] != version.partition].groupby("source", sort=True):
                self._make_current(connection, self.shards.write(version.table, source, rows, RECORD_SCHEMA), whole=False)

    def _migrate_rejections(self, connection: duckdb.DuckDBPyConnection) -> None:
        """An earlier warehouse's ``rejections`` table, moved into shards: one partition per stage and source."""
        earlier = connection.execute(f"SELECT * FROM main.{REJECTIONS}").df()
        connection.execute("BEGIN TRANSACTION")
        connection.execute(sql("drop_base_table", table=REJECTIONS))
        for (stage, source), rows in earlier.groupby(["stage", "source"], sort=True, dropna=False):
            source = None if pd.isna(source) else source
            version = self.shards.write(REJECTIONS, _rejection_partition(stage, source),
                                        as_rejections(rows, stage).loc[:, list(REJECTION_COLUMNS)], REJECTION_SCHEMA)
            self._make_current(connection, version, whole=False)
        if earlier.empty:
            connection.execute(f"CREATE VIEW main.{REJECTIONS} AS {_empty_select(REJECTION_SCHEMA)}")
        connection.execute("COMMIT")

    def replace_table(self, table: str, frame: pd.DataFrame) -> None:
        """Replace a table that holds no records (statistics, file listings) with ``frame``."""
        with self.connect() as connection:
            connection.register("staged", frame)
            connection.execute(sql("publish_frame", table=table))

    def quarantine(self, table: str, records: pd.DataFrame, rejections: pd.DataFrame) -> None:
        """Keep data that failed its checks inspectable in ``quarantine.<table>``, off the published path."""
        with self.connect() as connection:
            connection.register("staged", records)
            connection.register("staged_rejections", rejections.loc[:, list(REJECTION_COLUMNS)])
            _drop_quarantine(connection, table)
            connection.execute(sql("quarantine_table", table=table))
