"""A source file loaded on the worker pool: a JSONL file cut into ranges of lines, each range a
worker's task that parses it, builds the records, validates them and writes them as one shard.

A range's records depend only on its bytes and its first line's number, so any number of workers
loads the same tables; the step merges counts, verdicts and what the file-level mapping check
needs, and publishes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from curation_assets.checks.gx_factory import GxSuite, validation_summary
from curation_assets.core.load.readers import FieldsSeen, LineRange, LoadedSource, load_jsonl_range
from curation_assets.core.load.settings import FileSource
from curation_assets.core.records import REJECTION_COLUMNS
from curation_assets.storage.shards import RECORD_SCHEMA, REJECTION_SCHEMA, ShardSize, ShardStore


@dataclass(frozen=True)
class ChunkOutput:
    """Where one chunk of a source goes: its shard of the records and of the rejections, the suite."""

    kept_path: str
    rejected_path: str
    suite: GxSuite
    shards_uri: str


@dataclass
class ChunkOutcome:
    records_in: int
    kept: int
    rejected: int
    blank_lines: int
    kept_bytes: int
    rejected_bytes: int
    reasons: Counter
    validation: dict
    preview: pd.DataFrame
    fields_seen: FieldsSeen | None = None


def write_chunk(loaded: LoadedSource, output: ChunkOutput) -> ChunkOutcome:
    """One chunk's records and rejections written (in record-id order) and validated."""
    store = ShardStore(output.shards_uri, ShardSize())
    records = loaded.records.sort_values("record_id", kind="mergesort")
    rejections = loaded.rejections.loc[:, list(REJECTION_COLUMNS)].sort_values("record_id", kind="mergesort")
    return ChunkOutcome(
        records_in=loaded.records_in,
        kept=len(records),
        rejected=len(rejections),
        blank_lines=loaded.blank_lines,
        kept_bytes=store.write_part(output.kept_path, records, RECORD_SCHEMA),
        rejected_bytes=store.write_part(output.rejected_path, rejections, REJECTION_SCHEMA),
        reasons=Counter(rejections["reason"].astype(str)),
        validation=validation_summary(records, output.suite),
        preview=records.head(8),
    )


@dataclass(frozen=True)
class RangeTask:
    source: FileSource
    path: str
    line_range: LineRange
    output: ChunkOutput


def load_range(task: RangeTask) -> ChunkOutcome:
    loaded, seen = load_jsonl_range(task.source, Path(task.path), task.line_range)
    outcome = write_chunk(loaded, task.output)
    outcome.fields_seen = seen
    return outcome
