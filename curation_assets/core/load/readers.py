"""Read files: sources, inbox files and benchmarks alike (``read_items``), and a source's items
into canonical records, quarantining what cannot be read (``load_source``).

File-level problems (missing file, empty file, undecodable JSON/CSV, a mapped field that no
record has) raise ``SourceError`` naming the source, the file and where. Record-level problems
(a malformed JSONL line, a line in the wrong encoding, a record missing a mapped field) become
quarantine rows with a reason, so the rest of the file still loads and nothing vanishes silently.

Positions, the one convention for every file read (a source record's and a benchmark item's):
JSONL line number (1-based); JSON array index (0-based); CSV data row (1-based, header excluded);
Parquet row index (0-based). Exploded elements also carry their index as ``item``.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from curation_assets.core.load.conversations import TurnProblem, conversation, parse_turns, preference_pair, turns_json
from curation_assets.core.load.hf_disk import HfDiskError, hf_disk_table
from curation_assets.core.load.settings import FieldMapping, FileSource
from curation_assets.core.settings import FileFormat
from curation_assets.core.records import (
    NO_TURNS,
    cut_to,
    over_long_fields,
    as_records,
    as_rejections,
    empty_records,
    empty_rejections,
    record_id,
)

STAGE = "load"
OPTIONAL_PARTS = ("system",)  # a conversation without a system prompt is whole
_MISSING = object()
_EXCERPT_CHARS = 300
_BOM = "\ufeff"


class FileError(ValueError):
    """A file cannot be read at all; the message names the file (as the caller calls it) and where."""


class SourceError(FileError):
    """A source cannot be loaded at all; the message names the source, file and location."""


@dataclass
class LoadedSource:
    records: pd.DataFrame
    rejections: pd.DataFrame
    records_in: int  # records the file holds, before quarantine
    blank_lines: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class RawItem:
    """One item of a file (a JSONL line, a JSON array element, a CSV or Parquet row) at its position."""

    position: int
    value: Any = None
    problem: tuple[str, str] | None = None  # (reason, detail) when the item could not be parsed
    raw_text: str | None = None


@dataclass
class FileItems:
    items: list[RawItem]
    blank_lines: int = 0
    columns: list[str] | None = None  # CSV and Parquet: the header; JSON items carry their own fields


def read_items(path: Path, format: FileFormat, encoding: str, where: str, split: str | None = None) -> FileItems:
    """Every item of the file, at its position; a JSONL line that cannot be parsed is an item with a problem.
    ``split``: which split of a Hugging Face dataset-dict folder (format ``hf_disk``).

    Raises ``FileError`` (its message starting with ``where``) when the file cannot be read at all.
    """
    _check_file(path, where, folder_allowed=format == "hf_disk")
    if format == "hf_disk":
        read = _read_hf_disk(path, split, where)
    else:
        reader = {"jsonl": _read_jsonl, "json": _read_json_array, "csv": _read_csv, "parquet": _read_parquet}
        read = reader[format](path, encoding, where)
    if not read.items:
        raise FileError(f"{where}: file holds no records")
    return read


def _check_file(path: Path, where: str, folder_allowed: bool = False) -> None:
    if not path.exists():
        raise FileError(f"{where}: file does not exist")
    if folder_allowed and path.is_dir():
        return
    if not path.is_file():
        raise FileError(f"{where}: path is not a file")
    if path.stat().st_size == 0:
        raise FileError(f"{where}: file is empty (0 bytes)")


def load_source(source: FileSource, path: Path) -> LoadedSource:
    """The whole file as records and quarantine rows."""
    chunks = list(load_source_chunks(source, path, chunk_items=None))
    if len(chunks) == 1:
        return chunks[0]
    return LoadedSource(
        records=as_records(pd.concat([chunk.records for chunk in chunks], ignore_index=True)),
        rejections=as_rejections(pd.concat([chunk.rejections for chunk in chunks], ignore_index=True), STAGE),
        records_in=sum(chunk.records_in for chunk in chunks),
        blank_lines=sum(chunk.blank_lines for chunk in chunks),
    )


def load_source_chunks(source: FileSource, path: Path, chunk_items: int | None,
                       max_items: int | None = None) -> Iterator[LoadedSource]:
    """The file's records ``chunk_items`` items at a time, so a big JSONL file never sits in memory whole
    (other formats come as one chunk); only its first ``max_items`` items (lines, rows, array elements)
    when given (a sample). File-level problems are raised as the whole file would raise them,
    after the last chunk when they can only be told then (a mapped field no record has)."""
    where = f"source '{source.name}' ({path})"
    try:
        _check_file(path, where, folder_allowed=source.format == "hf_disk")
        if source.format == "jsonl":
            chunks = _jsonl_chunks(path, source.encoding, chunk_items, max_items)
        else:
            read = read_items(path, source.format, source.encoding, where, source.split)
            if max_items is not None:
                read = FileItems(read.items[:max_items], read.blank_lines, read.columns)
            chunks = iter([read])
        builder = _RecordBuilder(source, where)
        any_items = False
        for read in chunks:
            any_items = any_items or bool(read.items)
            if read.columns is not None:
                _require_columns(source, read.columns, where)
            yield builder.records(read.items, read.blank_lines)
        if not any_items:
            raise FileError(f"{where}: file holds no records")
        builder.finish()
    except FileError as error:
        raise error if isinstance(error, SourceError) else SourceError(str(error)) from error


@dataclass(frozen=True)
class LineRange:
    """Bytes ``start``..``end`` of a JSONL file: whole lines, the first of them line ``first_line``."""

    start: int
    end: int
    first_line: int


_SCAN_BYTES = 1 << 24


def jsonl_line_ranges(path: Path, lines_per_range: int, max_lines: int | None = None) -> list[LineRange]:
    """The file (its first ``max_lines`` lines when given) cut after every ``lines_per_range``-th line
    (one scan of its bytes for line ends), so that ranges can be read on several workers with the
    line numbers reading it whole gives."""
    ends: list[int] = []  # byte offset just past each range's last line end
    size = path.stat().st_size if max_lines is None else _end_of_line(path, max_lines)
    lines_in_range, offset = 0, 0
    with path.open("rb") as handle:
        while offset < size and (block := handle.read(min(_SCAN_BYTES, size - offset))):
            newlines = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
            # Line ends that close a range: the (lines_per_range - lines_in_range)-th, then every k-th.
            closing = newlines[lines_per_range - lines_in_range - 1 :: lines_per_range]
            ends.extend((offset + closing + 1).tolist())
            lines_in_range = (lines_in_range + len(newlines)) % lines_per_range
            offset += len(block)
    if not ends or ends[-1] < size:
        ends.append(size)
    ranges, start, first_line = [], 0, 1
    for end in ends:
        ranges.append(LineRange(start, end, first_line))
        start, first_line = end, first_line + lines_per_range
    return ranges


def _end_of_line(path: Path, line: int) -> int:
    """The byte offset just past line ``line``'s end (the file's size if it has fewer lines)."""
    seen, offset = 0, 0
    with path.open("rb") as handle:
        while block := handle.read(_SCAN_BYTES):
            newlines = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
            if seen + len(newlines) >= line:
                return offset + int(newlines[line - seen - 1]) + 1
            seen += len(newlines)
            offset += len(block)
    return offset


def load_jsonl_range(source: FileSource, path: Path, line_range: LineRange) -> tuple[LoadedSource, "FieldsSeen"]:
    """The records of one range of a JSONL source's lines, as loading the whole file gives them, and
    what the file-level mapping check needs to know of it (``check_fields_seen``)."""
    with path.open("rb") as handle:
        handle.seek(line_range.start)
        data = handle.read(line_range.end - line_range.start)
    items: list[RawItem] = []
    blank = 0
    lines = data.split(b"\n")
    last = len(lines) - 1
    for offset, raw_line in enumerate(lines):
        if offset == last and not raw_line:
            break  # the range ends with a line end: nothing follows it
        if not raw_line.strip():
            blank += 1
            continue
        line = raw_line + b"\n" if offset < last else raw_line
        items.append(_jsonl_item(line_range.first_line + offset, line, source.encoding))
    builder = _RecordBuilder(source, f"source '{source.name}' ({path})")
    return builder.records(items, blank), builder.fields_seen()


@dataclass
class FieldsSeen:
    """Per mapped field, how many parsed records had it; how many were parsed; keys records had."""

    counts: dict[str, int]
    parsed_records: int
    keys: set[str]

    @staticmethod
    def merged(parts: list["FieldsSeen"]) -> "FieldsSeen":
        counts: dict[str, int] = {}
        keys: set[str] = set()
        for part in parts:
            for name, count in part.counts.items():
                counts[name] = counts.get(name, 0) + count
            if len(keys) < 1000:
                keys |= part.keys
        return FieldsSeen(counts, sum(part.parsed_records for part in parts), keys)


def check_source_file(source: FileSource, path: Path) -> None:
    """The file-level checks that come before reading (it exists, is a file, is not empty)."""
    try:
        _check_file(path, f"source '{source.name}' ({path})", folder_allowed=source.format == "hf_disk")
    except FileError as error:
        raise SourceError(str(error)) from error


def check_fields_seen(source: FileSource, path: Path, seen: FieldsSeen, items: int) -> None:
    """The file-level checks after reading every range: records at all, and every mapped field in one."""
    where = f"source '{source.name}' ({path})"
    if not items:
        raise SourceError(f"{where}: file holds no records")
    builder = _RecordBuilder(source, where)
    builder.seen_fields, builder.parsed_records, builder.keys_seen = dict(seen.counts), seen.parsed_records, seen.keys
    builder.finish()


def _read_jsonl(path: Path, encoding: str, where: str) -> FileItems:
    chunks = list(_jsonl_chunks(path, encoding, chunk_items=None))
    return FileItems([item for chunk in chunks for item in chunk.items], sum(chunk.blank_lines for chunk in chunks))


def _jsonl_chunks(path: Path, encoding: str, chunk_items: int | None,
                  max_lines: int | None = None) -> Iterator[FileItems]:
    """The file's items (of its first ``max_lines`` lines when given), ``chunk_items`` at a time (all
    at once for None), each chunk with the blank lines skipped since the previous one."""
    items: list[RawItem] = []
    blank = 0
    with path.open("rb") as handle:
        for line_number, raw_line in enumerate(handle, start=1):
            if max_lines is not None and line_number > max_lines:
                break
            if not raw_line.strip():
                blank += 1
                continue
            items.append(_jsonl_item(line_number, raw_line, encoding))
            if chunk_items is not None and len(items) >= chunk_items:
                yield FileItems(items, blank)
                items, blank = [], 0
    if items or blank:
        yield FileItems(items, blank)


def _jsonl_item(line_number: int, raw_line: bytes, encoding: str) -> RawItem:
    try:
        text = raw_line.decode(encoding)
    except UnicodeDecodeError as error:
        excerpt = raw_line[:_EXCERPT_CHARS].decode(encoding, errors="replace")
        return RawItem(line_number, problem=("invalid_encoding", f"line {line_number}: not {encoding}: {error}"),
                       raw_text=excerpt)
    if line_number == 1:
        text = text.removeprefix(_BOM)  # editors on Windows start UTF-8 files with one
    try:
        return RawItem(line_number, value=json.loads(text), raw_text=text)
    except json.JSONDecodeError as error:
        return RawItem(line_number, problem=("malformed_json", f"line {line_number}, column {error.colno}: {error.msg}"),
                       raw_text=text[:_EXCERPT_CHARS])
    except RecursionError:
        return RawItem(line_number, problem=("too_deeply_nested", f"line {line_number}: JSON nested deeper than "
                                             "the parser's recursion limit"), raw_text=text[:_EXCERPT_CHARS])


def _decode_whole_file(path: Path, encoding: str, where: str) -> str:
    data = path.read_bytes()
    try:
        return data.decode(encoding).removeprefix(_BOM)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileError(
            f"{where}: line {line} is not valid {encoding} ({error.reason} at byte {error.start}); "
            "set the source's 'encoding' if the file uses another one"
        ) from error


def _read_json_array(path: Path, encoding: str, where: str) -> FileItems:
    text = _decode_whole_file(path, encoding, where)
    if not text.strip():
        raise FileError(f"{where}: file holds only whitespace")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileError(f"{where}: invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from error
    except RecursionError as error:
        raise FileError(f"{where}: JSON nested deeper than the parser's recursion limit") from error
    if not isinstance(value, list):
        raise FileError(f"{where}: format 'json' expects a top-level array, found {type(value).__name__}")
    return FileItems([RawItem(index, value=element) for index, element in enumerate(value)])


def _read_csv(path: Path, encoding: str, where: str) -> FileItems:
    """Rows as dicts by header name, positions counting data rows from 1 (blank lines skipped); a row
    whose field count differs from the header's is an item with a problem, not a refused file."""
    text = _decode_whole_file(path, encoding, where)
    if not text.strip():
        raise FileError(f"{where}: file holds only whitespace")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(reader.line_num, row) for row in reader if row]
    except csv.Error as error:
        raise FileError(f"{where}: malformed CSV at line {reader.line_num}: {error}") from error
    header = _unique_names(rows[0][1])
    items = []
    for position, (line, row) in enumerate(rows[1:], start=1):
        if len(row) == len(header):
            items.append(RawItem(position, value=dict(zip(header, row))))
        else:
            items.append(RawItem(position, problem=("ragged_csv_row", f"line {line}: {len(row)} fields, the header "
                                                    f"has {len(header)}"), raw_text=",".join(row)[:_EXCERPT_CHARS]))
    return FileItems(items, columns=header)


def _unique_names(names: list[str]) -> list[str]:
    """Header names made unique as pandas makes them (``a``, ``a.1``, ...)."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        candidate = name
        while candidate in seen:
            seen[name] += 1
            candidate = f"{name}.{seen[name]}"
        seen.setdefault(candidate, 0)
        unique.append(candidate)
    return unique


def _read_parquet(path: Path, encoding: str, where: str) -> FileItems:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise FileError(f"{where}: not a readable Parquet file: {error}") from error
    items = [RawItem(index, value=value) for index, value in enumerate(table.to_pylist())]
    return FileItems(items, columns=list(table.column_names))


def _read_hf_disk(path: Path, split: str | None, where: str) -> FileItems:
    try:
        table = hf_disk_table(path, split)
    except HfDiskError as error:
        raise FileError(f"{where}: {error}") from error
    items = [RawItem(index, value=value) for index, value in enumerate(table.to_pylist())]
    return FileItems(items, columns=list(table.column_names))


def _require_columns(source: FileSource, columns: list[str], where: str) -> None:
    available = list(columns)
    for target, field_path in _mapped_fields(source):
        top = field_path.split(".")[0]
        if top not in available:
            raise SourceError(
                f"{where}: mapped field '{field_path}' (for {target}) is not a column; "
                f"columns are: {', '.join(map(str, available))}"
            )


def _mapped_fields(source: FileSource) -> Iterator[tuple[str, str]]:
    yield from source.fields.mapped().items()


def _lookup(value: Any, field_path: str) -> Any:
    """The value at a dotted path; a whole-number step indexes a list, counting from the end when
    negative (``messages.0.content``: the first turn's text; ``messages.-1.content``: the last's)."""
    for key in field_path.split("."):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, (list, tuple)) and _LIST_INDEX.fullmatch(key) and -len(value) <= int(key) < len(value):
            value = value[int(key)]
        else:
            return _MISSING
    return value


_LIST_INDEX = re.compile(r"-?\d+")


def _as_text(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"  # as the source file wrote it, not Python's True
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN / Infinity are not text a model should learn ("nan")
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _excerpt_of(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _EXCERPT_CHARS else text[: _EXCERPT_CHARS - 1] + "…"


def _texts_of(raw_values: dict[str, Any], paths: dict[str, str]) -> dict[str, str]:
    """Single-turn parts as text; a value that is not text is a ``non_text_field`` problem naming its field."""
    texts, wrong_type = {}, []
    for target, raw_value in raw_values.items():
        text = _as_text(raw_value)
        if text is None:
            wrong_type.append(f"{paths[target]} is {raw_value!r}" if isinstance(raw_value, float)
                              else f"{paths[target]} is {type(raw_value).__name__}")
        else:
            texts[target] = text
    if wrong_type:
        raise TurnProblem("non_text_field", "; ".join(wrong_type))
    return texts


def _record_parts(fields: FieldMapping, raw_values: dict[str, Any]) -> tuple[dict[str, str], list[dict]]:
    """A record's texts (instruction, input, response, rejected_response) and its earlier turns."""
    paths = fields.mapped()
    if fields.shape == "single_turn":
        texts = _texts_of(raw_values, paths)
        return {"input": "", **texts, "rejected_response": ""}, []
    system = _texts_of({"system": raw_values["system"]}, paths)["system"] if "system" in raw_values else ""
    if fields.shape == "conversation":
        talk, rejected_response = conversation(parse_turns(raw_values["conversation"])), ""
    else:
        pair = preference_pair(raw_values.get("instruction"), raw_values["chosen"], raw_values["rejected"])
        talk, rejected_response = pair.conversation, pair.rejected_response
    turns = talk.earlier_turns
    if system.strip() and not (turns and turns[0]["role"] == "system"):
        turns = [{"role": "system", "content": system}, *turns]
    return {**talk.texts(), "input": "", "rejected_response": rejected_response}, turns


def _lone_surrogate(texts: dict[str, str]) -> str | None:
    """The first field holding a lone surrogate (a JSON ``"\\ud800"`` escape): no UTF-8 file can hold it."""
    for target, text in texts.items():
        if text.isascii():
            continue
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            return f"{target} holds a lone surrogate ({text[error.start]!r} at character {error.start})"
    return None


def _printable(texts: dict[str, str]) -> dict[str, str]:
    return {target: text.encode("utf-8", "replace").decode("utf-8") for target, text in texts.items()}


def _elements(source: FileSource, item: RawItem) -> Iterator[tuple[int | None, Any, tuple[str, str] | None]]:
    """One (item index, record value, problem) per record the raw item holds."""
    if not isinstance(item.value, dict):
        yield None, None, ("not_an_object", f"expected a JSON object, found {type(item.value).__name__}")
        return
    if source.explode is None:
        yield None, item.value, None
        return
    elements = item.value.get(source.explode, _MISSING)
    if not isinstance(elements, list):
        yield None, None, ("explode_not_a_list", f"field '{source.explode}' is missing or not a list")
        return
    if not elements:
        yield None, None, ("explode_empty", f"field '{source.explode}' is an empty list")
        return
    for index, element in enumerate(elements):
        # The exploded element is visible under the explode field's name, beside the parent's fields.
        yield index, {**item.value, source.explode: element}, None


class _RecordBuilder:
    """Items → canonical records and quarantine rows, chunk after chunk; remembers what the file-level
    check needs (which mapped fields any record had) until ``finish``."""

    def __init__(self, source: FileSource, where: str) -> None:
        self.source, self.where = source, where
        self.seen_fields: dict[str, int] = {field_path: 0 for _, field_path in _mapped_fields(source)}
        self.parsed_records = 0
        self.keys_seen: set[str] = set()

    def _lineage(self, position: int, item_index: int | None, extra: dict | None = None) -> str:
        source = self.source
        payload = {
            "source": source.name,
            "file": source.path,
            "format": source.format,
            "position": position,
            "item": item_index,
            "license": source.license,
            "kind": source.kind,
        }
        payload.update(extra or {})
        return json.dumps(payload, sort_keys=True, ensure_ascii=False)

    def _rejection(self, position: int, item_index: int | None, reason: str, detail: str, texts: dict | None = None,
                   raw_text: str | None = None) -> dict[str, Any]:
        texts = texts or {}
        extra = {"raw_excerpt": raw_text} if raw_text is not None else None
        return {
            "record_id": record_id(self.source.name, position, item_index, reason, detail, ""),
            "source": self.source.name,
            "source_position": position,
            "reason": reason,
            "detail": detail,
            "instruction": texts.get("instruction"),
            "input": texts.get("input"),
            "response": texts.get("response"),
            "rejected_response": texts.get("rejected_response", ""),
            "kind": self.source.kind,
            "lineage": self._lineage(position, item_index, extra),
        }

    def records(self, items: list[RawItem], blank_lines: int) -> LoadedSource:
        source = self.source
        kept: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        records_in = 0
        for item in items:
            if len(self.keys_seen) < 1000 and isinstance(item.value, dict):
                self.keys_seen.update(item.value)
            if item.problem is not None:
                records_in += 1
                rejected.append(self._rejection(item.position, None, *item.problem, raw_text=item.raw_text))
                continue
            for item_index, value, problem in _elements(source, item):
                records_in += 1
                if problem is not None:
                    rejected.append(self._rejection(item.position, item_index, *problem, raw_text=item.raw_text))
                    continue
                self.parsed_records += 1
                raw_values, missing = {}, []
                for target, field_path in _mapped_fields(source):
                    raw_value = _lookup(value, field_path)
                    if raw_value is _MISSING:
                        if target not in OPTIONAL_PARTS:
                            missing.append(field_path)
                    else:
                        self.seen_fields[field_path] += 1
                        raw_values[target] = raw_value
                if missing:
                    readable = {target: text for target, raw_value in raw_values.items()
                                if (text := _as_text(raw_value)) is not None}  # kept for the reviewer
                    rejected.append(self._rejection(item.position, item_index, "missing_field",
                                                    f"mapped field(s) {', '.join(missing)} not in record", readable))
                    continue
                try:
                    texts, turns = _record_parts(source.fields, raw_values)
                except TurnProblem as problem:
                    readable = {target: text for target, raw_value in raw_values.items()
                                if (text := _as_text(raw_value)) is not None}  # kept for the reviewer
                    rejected.append(self._rejection(item.position, item_index, problem.reason, str(problem),
                                                    readable, raw_text=_excerpt_of(value)))
                    continue
                all_texts = {**texts, **{f"turn {number}": turn["content"] for number, turn in enumerate(turns, 1)}}
                surrogate = _lone_surrogate(all_texts)
                if surrogate is not None:
                    rejected.append(self._rejection(item.position, item_index, "invalid_unicode", surrogate,
                                                    _printable(texts)))
                elif too_long := over_long_fields(all_texts, source.max_field_chars):
                    rejected.append(self._rejection(item.position, item_index, "too_long", too_long,
                                                    cut_to(texts, source.max_field_chars)))
                else:
                    earlier_turns = turns_json(turns) if turns else NO_TURNS
                    kept.append({
                        "record_id": record_id(source.name, item.position, item_index, texts["instruction"],
                                               texts["input"], texts["response"],
                                               texts["rejected_response"], earlier_turns),
                        "source": source.name,
                        "source_position": item.position,
                        **texts,
                        "earlier_turns": earlier_turns,
                        "kind": source.kind,
                        "lineage": self._lineage(item.position, item_index),
                    })
        records = as_records(pd.DataFrame(kept)) if kept else empty_records()
        rejections = as_rejections(pd.DataFrame(rejected), STAGE) if rejected else empty_rejections(STAGE)
        return LoadedSource(records=records, rejections=rejections, records_in=records_in, blank_lines=blank_lines)

    def fields_seen(self) -> FieldsSeen:
        return FieldsSeen(dict(self.seen_fields), self.parsed_records, set(self.keys_seen))

    def finish(self) -> None:
        """A mapped field that no parsed record of the whole file has is a mapping mistake, not bad records."""
        never_seen = [field_path for field_path, count in self.seen_fields.items() if count == 0]
        if self.parsed_records and never_seen:
            present = sorted(self.keys_seen)
            meant = [f"'{name}' for '{field_path}'" for field_path in never_seen
                     for name in difflib.get_close_matches(field_path, present, n=1)]
            raise SourceError(
                f"{self.where}: mapped field(s) {', '.join(never_seen)} found in no record; "
                f"fields present: {', '.join(present[:20])}" + (f" (did you mean {', '.join(meant)}?)" if meant else "")
            )
