"""``curation validate``: the config and every input it names, checked without running anything.

Each source is checked as its load step would check it (the file exists and is not empty, its
format parses, every mapped field is found, with a "did you mean" otherwise), on its first
``sample_items`` lines or items only, so a big file is checked in a moment; the benchmarks
decontamination compares against must exist, and the inbox must be a folder if it exists.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from curation_assets.config import PipelineConfig
from curation_assets.core.load.readers import (FileError, check_fields_seen, check_source_file, jsonl_line_ranges,
                                               load_jsonl_range, load_source_chunks)
from curation_assets.core.load.settings import FileSource

SAMPLE_ITEMS = 1000


@dataclass(frozen=True)
class InputCheck:
    what: str  # "source 'support_logs'", "benchmark 'gsm8k_test'", "inbox"
    problem: str | None  # None: fine
    detail: str = ""  # what was read, for a fine one


def validate_inputs(config: PipelineConfig, sample_items: int = SAMPLE_ITEMS) -> list[InputCheck]:
    checks = [_source_check(source, config, sample_items) for source in config.sources]
    for benchmark in config.decontaminate.benchmarks:
        path = config.resolve(benchmark.path)
        checks.append(InputCheck(f"benchmark '{benchmark.name}'", None if path.is_file() else f"{path} does not exist",
                                 str(path)))
    if config.inbox is not None:
        folder = config.inbox_dir()
        present = folder.is_dir()
        checks.append(InputCheck("inbox", None if present or not folder.exists() else f"{folder} is not a folder",
                                 str(folder) if present else f"{folder} (created by the first run)"))
    return checks


def _source_check(source: FileSource, config: PipelineConfig, sample_items: int) -> InputCheck:
    what = f"source '{source.name}'"
    path = config.source_path(source)
    try:
        check_source_file(source, path)
        if source.format == "jsonl":
            (first,) = jsonl_line_ranges(path, sample_items, max_lines=sample_items)[:1]
            loaded, seen = load_jsonl_range(source, path, first)
            check_fields_seen(source, path, seen, loaded.records_in)
            chunks = [loaded]
        else:
            chunks = list(load_source_chunks(source, path, chunk_items=None, max_items=sample_items))
    except FileError as error:
        return InputCheck(what, str(error))
    records_in = sum(chunk.records_in for chunk in chunks)
    records = sum(len(chunk.records) for chunk in chunks)
    reasons = Counter(reason for chunk in chunks for reason in chunk.rejections["reason"].astype(str))
    detail = f"{path}: the first {records_in:,} items give {records:,} records"
    if reasons:
        detail += ", " + ", ".join(f"{count:,} quarantined as {reason}" for reason, count in reasons.most_common())
    return InputCheck(what, None, detail)
