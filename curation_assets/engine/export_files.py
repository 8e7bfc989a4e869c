"""The export's files written on the worker pool: each task reads the shard rows its file holds (a
few columns, a slice of one or two shards) and writes and reads back that one file, so memory is set
by the file and shard sizes, and the files are the same whatever the number of workers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


from curation_assets.core.export.files import EXPORT_COLUMNS, PlannedFile, ShardRows, WrittenFile, write_file
from curation_assets.core.export.settings import ExportConfig
from curation_assets.engine.pool import map_tasks
from curation_assets.engine.progress import StepProgress
from curation_assets.storage.shards import ShardSize, ShardStore


@dataclass(frozen=True)
class ExportTask:
    planned: PlannedFile
    output_dir: str
    settings: ExportConfig
    shards_uri: str


def write_export_file(task: ExportTask) -> WrittenFile:
    store = ShardStore(task.shards_uri, ShardSize())
    rows = (store.read_part(piece.file, list(EXPORT_COLUMNS), piece.offset, piece.rows) for piece in task.planned.slices)
    return write_file(task.planned, rows, Path(task.output_dir), task.settings)


def write_export_files(planned: list[PlannedFile], output_dir: Path, settings: ExportConfig, shards_uri: str,
                       workers: int) -> list[WrittenFile]:
    tasks = [ExportTask(file, str(output_dir), settings, shards_uri) for file in planned]
    # A spawned worker takes seconds to start: an export smaller than two full files is written here.
    if sum(file.records for file in planned) < 2 * settings.records_per_file:
        workers = 1
    written = []
    with StepProgress("exports", sum(file.records for file in planned)) as progress:
        for file, result in zip(planned, map_tasks(write_export_file, tasks, workers)):
            written.append(result)
            progress.advance(file.records)
    return written


def shard_rows(store: ShardStore, files: list[str]) -> list[ShardRows]:
    """Each shard file's rows and record-id range (read from the id column alone)."""
    if not files:
        return []
    with store.connect_duckdb() as connection:
        found = {file: (rows, first, last) for file, rows, first, last in connection.execute(
            "SELECT filename, count(*), min(record_id), max(record_id) FROM read_parquet($files, filename = true) "
            "GROUP BY filename", {"files": files}).fetchall()}
    return [ShardRows(file, *found.get(file, (0, None, None))) for file in files]
