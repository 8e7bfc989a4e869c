"""Record tables as sharded Parquet datasets beside the warehouse file.

A table (or one partition of it: a synthetic batch, an inbox file, one stage's rejections) is
published as a new *version*: a folder of immutable Parquet shards,

    <root>/<table>/<partition>/<version>/part-00000.parquet, part-00001.parquet, ...

written before anything points at it. The warehouse makes a version current in the same DuckDB
transaction that re-points the table's view at its files (see ``warehouse.py``), so a reader sees
the old version or the new one, never a mix, and a crash before that commit leaves only an orphan
folder that nothing reads. Retired and orphaned versions are deleted afterwards.

The root is a filesystem URI (a local path, ``file://``, or any filesystem pyarrow opens, e.g.
``s3://bucket/prefix?endpoint_override=host:9000``) so that workers on other machines read and
write shards directly. The catalog names a remote shard by its URI (``s3://bucket/prefix/...``,
without the root's query); DuckDB reads remote shards through the same pyarrow filesystem,
registered on each connection (``connect_duckdb``), so no DuckDB extension is downloaded.
"""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import quote, urlsplit

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from curation_assets.core.records import RECORD_COLUMNS, RECORD_DTYPES, REJECTION_COLUMNS, REJECTION_DTYPES
from curation_assets.storage.remote_files import RemoteFiles

# The partition of a table published whole.
WHOLE_TABLE = "_all"
# A version folder nothing points at, older than this, was left by a crashed writer (writers finish
# their files well within the warehouse lock's timeout).
ORPHAN_AGE_SECONDS = 3600.0
# Row groups of this many rows let a reader that needs a range of a shard (a decided stage's range
# of record ids, decided_stage.py) read little more than that range.
ROW_GROUP_ROWS = 8192
# Steps' intermediate files (scratch_folder) live under <root>/_scratch; a folder there older than
# this was left by a step that crashed (one that finishes removes its own).
SCRATCH = "_scratch"
STALE_SCRATCH_SECONDS = 24 * 3600.0

_ARROW_TYPES = {"string": pa.string(), "int64": pa.int64(), "Int64": pa.int64()}
RECORD_SCHEMA = pa.schema([(name, _ARROW_TYPES[RECORD_DTYPES[name]]) for name in RECORD_COLUMNS])
REJECTION_SCHEMA = pa.schema([(name, _ARROW_TYPES[REJECTION_DTYPES[name]]) for name in REJECTION_COLUMNS])


@dataclass(frozen=True)
class ShardSize:
    """A shard closes at ``records`` rows or about ``bytes`` of text, whichever comes first."""

    records: int = 50_000
    bytes: int = 256 * 1024 * 1024

    def rows_per_shard(self, frame: pd.DataFrame) -> int:
        if frame.empty:
            return self.records
        text_bytes = sum(int(frame[column].fillna("").str.len().sum()) for column in frame.columns
                         if frame[column].dtype == "string" or frame[column].dtype == object)
        per_row = max(1, text_bytes // len(frame))
        return max(1, min(self.records, self.bytes // per_row))


@dataclass(frozen=True)
class Version:
    """One written version of one partition of a table: its files, ready to be made current."""

    table: str
    partition: str
    version: str
    files: tuple[str, ...]
    rows: int
    bytes: int


@dataclass(frozen=True)
class VersionFolder:
    """Where a version's shards are being written; ``finished`` makes it a ``Version`` to publish."""

    table: str
    partition: str
    version: str
    path: str

    def part(self, index: int) -> str:
        return f"{self.path}/part-{index:05d}.parquet"

    def finished(self, files: list[str], rows: int, written_bytes: int) -> Version:
        return Version(self.table, self.partition, self.version, tuple(files), rows, written_bytes)


def _fresh_name(prefix: str) -> str:
    """A folder name no other writer picks, sorting by when it was made."""
    return f"{prefix}{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"


def file_list_literal(files: list[str] | tuple[str, ...]) -> str:
    """Shard paths as a SQL list literal, for view definitions (which take no parameters)."""
    return "[" + ", ".join("'" + file.replace("'", "''") + "'" for file in files) + "]"


def partition_folder(partition: str) -> str:
    """A partition key (e.g. ``inbox/feedback.jsonl``) as one safe folder name."""
    return quote(partition, safe="") or WHOLE_TABLE


class ShardStore:
    """Writes and deletes versions under one root; knows nothing of which version is current."""

    def __init__(self, root: str, size: ShardSize = ShardSize()) -> None:
        self.root_uri = root
        self.filesystem, self.root = pafs.FileSystem.from_uri(root) if "://" in root else (
            pafs.LocalFileSystem(), root)
        self.size = size
        # How the catalog names a shard: a local path, or <scheme>://<path> for a remote filesystem.
        self.scheme = None if self.is_local else urlsplit(root).scheme

    @property
    def is_local(self) -> bool:
        return isinstance(self.filesystem, pafs.LocalFileSystem)

    def uri_of(self, path: str) -> str:
        """A path of this store's filesystem as the catalog names it."""
        return path if self.scheme is None else f"{self.scheme}://{path}"

    def path_of(self, uri: str) -> str:
        """A shard's name in the catalog as a path of this store's filesystem."""
        prefix = f"{self.scheme}://"
        return uri[len(prefix):] if self.scheme is not None and uri.startswith(prefix) else uri

    def connect_duckdb(self, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
        """A DuckDB connection that reads this store's shards: remote ones through this store's
        filesystem (``read_parquet('s3://...')`` with no httpfs extension)."""
        connection = duckdb.connect(database)
        if self.scheme is not None:
            connection.register_filesystem(RemoteFiles(self.filesystem, self.scheme))
        return connection

    def _folder(self, table: str, partition: str) -> str:
        return f"{self.root}/{table}/{partition_folder(partition)}"

    def new_version(self, table: str, partition: str) -> "VersionFolder":
        """An empty folder for a new version's shards, which whoever writes them fills part by part."""
        name = _fresh_name("v")
        folder = f"{self._folder(table, partition)}/{name}"
        self.filesystem.create_dir(folder, recursive=True)
        return VersionFolder(table, partition, name, self.uri_of(folder))

    def write_part(self, path: str, frame: pd.DataFrame, schema: pa.Schema) -> int:
        """One shard file of ``frame`` (its record-id order as given); its size in bytes."""
        arrow = pa.Table.from_pandas(frame.loc[:, schema.names], schema=schema, preserve_index=False)
        pq.write_table(arrow, self.path_of(path), filesystem=self.filesystem, compression="zstd",
                       row_group_size=ROW_GROUP_ROWS)
        return self.filesystem.get_file_info(self.path_of(path)).size

    @contextmanager
    def parquet_file(self, path: str) -> Iterator[pq.ParquetFile]:
        """One shard file, open for reading its footer and row groups."""
        with self.filesystem.open_input_file(self.path_of(path)) as handle:
            yield pq.ParquetFile(handle)

    def rows_in(self, path: str) -> int:
        """A shard's record count, from its Parquet footer."""
        with self.parquet_file(path) as parquet:
            return parquet.metadata.num_rows

    def read_rows(self, path: str, rows: np.ndarray, columns: list[str] | None = None) -> pd.DataFrame:
        """The rows at positions ``rows`` (ascending) of one shard file (``columns`` of them), reading
        only the row groups that hold them."""
        with self.parquet_file(path) as parquet:
            sizes = [parquet.metadata.row_group(group).num_rows for group in range(parquet.metadata.num_row_groups)]
            starts = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
            group_of = np.searchsorted(starts, rows, side="right") - 1
            groups = np.unique(group_of)
            table = (parquet.read_row_groups(groups.tolist(), columns=columns) if len(groups)
                     else parquet.schema_arrow.empty_table().select(columns or parquet.schema_arrow.names))
        # Row r of group g sits, in the groups read, after the groups read before g.
        read_starts = np.concatenate(([0], np.cumsum([sizes[group] for group in groups]))).astype(np.int64)
        local = read_starts[np.searchsorted(groups, group_of)] + (rows - starts[group_of])
        return table.take(pa.array(local, pa.int64())).to_pandas()

    def read_part_table(self, path: str, columns: list[str] | None = None) -> pa.Table:
        return pq.read_table(self.path_of(path), columns=columns, filesystem=self.filesystem)

    def read_part(self, path: str, columns: list[str] | None = None, offset: int = 0,
                  rows: int | None = None) -> pd.DataFrame:
        """One shard file (or ``columns`` of it, or ``rows`` of it from ``offset``)."""
        table = self.read_part_table(path, columns)
        return (table if offset == 0 and rows is None else table.slice(offset, rows)).to_pandas()

    def write(self, table: str, partition: str, frame: pd.DataFrame, schema: pa.Schema) -> Version:
        """``frame`` in record-id order as a new version's shards (at least one, empty if need be,
        so the version has a schema)."""
        folder = self.new_version(table, partition)
        ordered = frame.loc[:, schema.names].sort_values("record_id", kind="mergesort") if len(frame) else frame
        step = self.size.rows_per_shard(ordered)
        files, written = [], 0
        for index, start in enumerate(range(0, max(len(ordered), 1), step)):
            path = folder.part(index)
            written += self.write_part(path, ordered.iloc[start:start + step], schema)
            files.append(path)
        return folder.finished(files, len(ordered), written)

    def delete_version(self, table: str, partition: str, version: str) -> None:
        folder = f"{self._folder(table, partition)}/{version}"
        if self.filesystem.get_file_info(folder).type != pafs.FileType.NotFound:
            self.filesystem.delete_dir(folder)

    def orphans(self, known: set[tuple[str, str, str]], table: str, partition: str,
                now: float | None = None) -> list[tuple[str, str, str]]:
        """Version folders of one partition that no catalog row knows, old enough that no writer is
        still filling them: ``(table, partition folder, version)``."""
        now = time.time() if now is None else now
        folder = partition_folder(partition)
        selector = pafs.FileSelector(self._folder(table, partition), allow_not_found=True)
        found = []
        for info in self.filesystem.get_file_info(selector):
            key = (table, folder, info.base_name)
            modified = info.mtime.timestamp() if info.mtime else now
            if key not in known and now - modified > ORPHAN_AGE_SECONDS:
                found.append(key)
        return found

    @contextmanager
    def scratch_folder(self, name: str) -> Iterator[str]:
        """A fresh folder (its URI) for a step's intermediate files that workers anywhere read and
        write, removed when the scope ends; folders a crashed step left a day ago or more are removed
        on the way in."""
        root = f"{self.root}/{SCRATCH}"
        now = time.time()
        for info in self.filesystem.get_file_info(pafs.FileSelector(root, allow_not_found=True)):
            if info.mtime is not None and now - info.mtime.timestamp() > STALE_SCRATCH_SECONDS:
                self.filesystem.delete_dir(info.path)
        folder = f"{root}/{_fresh_name(name + '-')}"
        self.filesystem.create_dir(folder, recursive=True)
        try:
            yield self.uri_of(folder)
        finally:
            self.filesystem.delete_dir(folder)

    def delete_folder(self, table: str, partition_folder_name: str, version: str) -> None:
        folder = f"{self.root}/{table}/{partition_folder_name}/{version}"
        if self.filesystem.get_file_info(folder).type != pafs.FileType.NotFound:
            self.filesystem.delete_dir(folder)
