"""The DuckDB warehouse: one file, one writer at a time across every process.

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
from typing import Callable, Iterator

import duckdb
import pandas as pd

from curation_assets.core.records import REJECTION_COLUMNS, as_records, empty_records
from curation_assets.storage.sql_files import sql

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


class Warehouse:
    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection held under the cross-process lock; keep the block short."""
        with exclusive_lock(self.lock_path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = duckdb.connect(str(self.path))
            try:
                connection.execute(sql("create_rejections"))
                yield connection
            finally:
                connection.close()

    def read_records(self, table: str, missing_ok: bool = False) -> pd.DataFrame:
        """The record table; with ``missing_ok``, no records when it was never published (e.g. an empty inbox)."""
        with self.connect() as connection:
            if missing_ok and not connection.execute(sql("table_exists"), {"table": table}).fetchone()[0]:
                return empty_records()
            return as_records(connection.execute(sql("read_table", table=table)).df())

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
        def write(connection: duckdb.DuckDBPyConnection) -> None:
            connection.execute(sql("publish_table", table=table))
            if also is not None:
                also(connection)

        self._publish(records, rejections, stage, source, quarantine=table, write=write)

    def publish_partition(self, table: str, source: str, records: pd.DataFrame, rejections: pd.DataFrame,
                          stage: str, quarantine: str | None = None) -> None:
        """Replace one partition of ``table`` (the rows whose ``source`` is ``source``, e.g. a synthetic
        batch or an inbox file) and its rejections in one transaction; the other partitions stay."""
        def write(connection: duckdb.DuckDBPyConnection) -> None:
            connection.execute(sql("create_partitioned_table", table=table))
            connection.execute(sql("delete_partition", table=table), {"source": source})
            connection.execute(sql("insert_partition", table=table))

        self._publish(records, rejections, stage, source, quarantine=quarantine or f"{table}_{source}", write=write)

    def _publish(self, records: pd.DataFrame, rejections: pd.DataFrame, stage: str, source: str | None,
                 quarantine: str, write: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
        """``write`` the staged records, replace the stage's (or source's) rejections and clear the old
        quarantine, all in one locked transaction."""
        with self.connect() as connection:
            connection.register("staged", records)
            connection.register("staged_rejections", rejections.loc[:, list(REJECTION_COLUMNS)])
            connection.execute("BEGIN TRANSACTION")
            try:
                write(connection)
                connection.execute(sql("delete_stage_rejections"), {"stage": stage, "source": source})
                connection.execute(sql("insert_rejections"))
                connection.execute(sql("drop_quarantine", table=quarantine))
                connection.execute("COMMIT")
            except Exception:
                connection.execute("ROLLBACK")
                raise

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
            connection.execute(sql("quarantine_table", table=table))
