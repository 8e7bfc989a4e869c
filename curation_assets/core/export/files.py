"""The export's files: each split as numbered JSONL files of a fixed number of records, in record-id
order (``train-00000-of-00003.jsonl``, ...: the layout trainers and ``datasets`` load with a glob).

Which records go in which file is planned from the split's shards (their row counts and record-id
ranges), so each file can be written on its own, by any worker, reading only the shard rows it holds;
the files depend on the records and ``records_per_file`` only, never on how the tables were sharded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd
import pyarrow.parquet as pq

from curation_assets.core.export.formats import as_export_rows, exported, training_examples, write_jsonl_atomically, write_parquet_atomically
from curation_assets.core.files import file_sha256
from curation_assets.core.export.manifest import read_back
from curation_assets.core.export.settings import ExportConfig

EXPORT_COLUMNS = ("record_id", "source", "instruction", "input", "response", "rejected_response", "earlier_turns")
PARQUET_FOLDER = "data"


def file_name(split: str, index: int, count: int) -> str:
    return f"{split}-{index:05d}-of-{count:05d}.jsonl"


def parquet_name(jsonl_name: str) -> str:
    """The Parquet twin of a JSONL file, relative to the export folder."""
    return f"{PARQUET_FOLDER}/{jsonl_name.removesuffix('.jsonl')}.parquet"


def parquet_files_glob(split: str) -> str:
    return f"{PARQUET_FOLDER}/{split}-*-of-*.parquet"


def data_files_glob(split: str) -> str:
    """What matches every file of ``split`` (and no other split's, nor the ladder's ``train_<n>.jsonl``)."""
    return f"{split}-*-of-*.jsonl"


def _is_export_of(split: str, name: str) -> bool:
    return re.fullmatch(rf"{re.escape(split)}-\d{{5}}-of-\d{{5}}\.jsonl", name) is not None


@dataclass(frozen=True)
class ShardRows:
    """One shard file of a split table: its rows and the record-id range they cover."""

    file: str
    rows: int
    first_id: str | None
    last_id: str | None


@dataclass(frozen=True)
class RowSlice:
    file: str
    offset: int
    rows: int


@dataclass(frozen=True)
class PlannedFile:
    split: str
    name: str
    records: int
    slices: tuple[RowSlice, ...]


def in_record_order(shards: list[ShardRows]) -> list[ShardRows]:
    """The non-empty shards ordered by record id; shards whose id ranges overlap cannot be cut into
    files without a sort, which the warehouse never needs (every version is written in id order)."""
    ordered = sorted((shard for shard in shards if shard.rows), key=lambda shard: shard.first_id)
    for before, after in zip(ordered, ordered[1:]):
        if before.last_id >= after.first_id:
            raise ValueError(f"shards {before.file} and {after.file} overlap in record id; cannot export in order")
    return ordered


def plan_files(split: str, shards: list[ShardRows], records_per_file: int) -> list[PlannedFile]:
    """The files of ``split``: ``records_per_file`` records each (the last one fewer), at least one
    (empty for an empty split, so a loader's glob always matches)."""
    ordered = in_record_order(shards)
    total = sum(shard.rows for shard in ordered)
    count = max(1, -(-total // records_per_file))
    planned = []
    shard_index, shard_offset = 0, 0
    for index in range(count):
        wanted, slices = min(records_per_file, total - index * records_per_file), []
        while wanted:
            shard = ordered[shard_index]
            taken = min(wanted, shard.rows - shard_offset)
            slices.append(RowSlice(shard.file, shard_offset, taken))
            wanted -= taken
            shard_offset += taken
            if shard_offset == shard.rows:
                shard_index, shard_offset = shard_index + 1, 0
        planned.append(PlannedFile(split, file_name(split, index, count), sum(s.rows for s in slices), tuple(slices)))
    return planned


@dataclass(frozen=True)
class WrittenFile:
    split: str
    name: str
    records: int
    sha256: str
    # What is wrong with the file, when it does not hold one valid JSON line per record.
    problems: dict
    parquet_sha256: str | None = None  # of its Parquet twin (parquet_name), when written


def write_file(planned: PlannedFile, rows: Iterable[pd.DataFrame], output_dir: Path, settings: ExportConfig) -> WrittenFile:
    """Write one planned file from its rows (in slice order), atomically, then read it back: its
    hash and whether it holds one valid JSON line per planned record."""
    path = output_dir / planned.name
    frame = pd.concat(list(rows), ignore_index=True) if planned.slices else pd.DataFrame(columns=list(EXPORT_COLUMNS))
    examples = training_examples(frame, settings.format, settings.system_prompt)
    # The planned records less those the format leaves out (a preference file holds the pairs only).
    records = planned.records - (int((~exported(as_export_rows(frame), settings.format)).sum()) if len(frame) else 0)
    write_jsonl_atomically((json.dumps(example, ensure_ascii=False) + "\n" for example in examples), path)
    contents = read_back(path)
    problems = {} if contents.lines == records and not contents.invalid else {
        "lines": contents.lines, "records": records, "invalid": contents.invalid[:5]}
    parquet_sha256 = None
    if settings.parquet:
        parquet_path = output_dir / parquet_name(planned.name)
        write_parquet_atomically(examples, settings.format, parquet_path)
        rows = pq.ParquetFile(parquet_path).metadata.num_rows
        if rows != records:
            problems["parquet_rows"] = {"rows": rows, "records": records}
        parquet_sha256 = file_sha256(parquet_path)
    return WrittenFile(planned.split, planned.name, records, contents.sha256, problems, parquet_sha256)


def remove_stale_files(output_dir: Path, splits: Iterable[str], current: set[str],
                       keep_parquet: bool = True) -> list[str]:
    """Delete the split files an earlier export left that this one did not write (another file
    count, or the single ``<split>.jsonl`` of earlier versions), so a glob finds only this export."""
    removed = []
    for split in splits:
        for path in sorted(output_dir.glob(f"{split}*.jsonl")):
            if path.name not in current and (_is_export_of(split, path.name) or path.name == f"{split}.jsonl"):
                path.unlink()
                removed.append(path.name)
        for path in sorted((output_dir / PARQUET_FOLDER).glob(f"{split}-*-of-*.parquet")):
            if f"{path.stem}.jsonl" not in current or not keep_parquet:
                path.unlink()
                removed.append(f"{PARQUET_FOLDER}/{path.name}")
    return removed


def listing(files: list[WrittenFile], output_dir: Path, export_format: str) -> pd.DataFrame:
    """One row per exported file: split, path, format, records, sha256."""
    return pd.DataFrame([{"split": file.split, "path": str(output_dir / file.name), "format": export_format,
                          "records": file.records, "sha256": file.sha256} for file in files],
                        columns=["split", "path", "format", "records", "sha256"])
