"""The export manifest: every exported file with its records and hash, and the sources and licenses
the records came from."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curation_assets.core.export.files import WrittenFile


def build_manifest(
    files: list["WrittenFile"],
    data_files: dict[str, str],
    by_source: dict[str, dict[str, int]],
    licenses: dict[str, str],
    kinds: dict[str, str],
    export_format: str,
    config_version: str,
    parquet_glob=None,
    parquet_path=None,
) -> dict:
    """Deterministic (no timestamps, no absolute paths), so identical inputs give an identical manifest.

    ``data_files``: per split, the glob that matches its files; ``by_source``: per split, records per source;
    ``parquet_glob(split)`` and ``parquet_path(jsonl name)`` name the Parquet twins, when they were written.
    """
    per_source: dict[str, dict] = {}
    for split_name, counts in by_source.items():
        for source, count in sorted(counts.items()):
            entry = per_source.setdefault(source, {"license": licenses.get(source), "kind": kinds.get(source), "records": {}})
            entry["records"][split_name] = int(count)
    return {
        "format": export_format,
        "config_version": config_version,
        "files": [{"path": file.name, "split": file.split, "records": file.records, "sha256": file.sha256}
                  for file in files],
        "splits": {
            split_name: {"data_files": pattern,
                         "files": sum(file.split == split_name for file in files),
                         "records": sum(file.records for file in files if file.split == split_name)}
            for split_name, pattern in data_files.items()
        },
        "sources": dict(sorted(per_source.items())),
        **({"parquet": {
            "data_files": {split_name: parquet_glob(split_name) for split_name in data_files},
            "files": [{"path": parquet_path(file.name), "split": file.split, "records": file.records,
                       "sha256": file.parquet_sha256} for file in files],
        }} if files and all(file.parquet_sha256 for file in files) else {}),
    }


def earlier_split_names(path: Path) -> list[str]:
    """The split names an earlier export's manifest at ``path`` lists (none when there is no readable one)."""
    try:
        splits = json.loads(path.read_text(encoding="utf-8"))["splits"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [name for name in splits if isinstance(name, str) and name.replace("_", "").isalnum()]


def write_manifest(manifest: dict, path: Path) -> None:
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass
class FileContents:
    lines: int
    sha256: str
    invalid: list[str] = field(default_factory=list)  # non-JSON lines, empty lines


def read_back(path: Path) -> FileContents:
    """A written JSONL file as it is on disk, in one pass: its lines, its SHA-256 and the lines that are not JSON."""
    digest = hashlib.sha256()
    invalid, count = [], 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            digest.update(line)
            count += 1
            try:
                json.loads(line)
            except json.JSONDecodeError as error:
                invalid.append(f"line {number}: {error.msg}")
    return FileContents(count, digest.hexdigest(), invalid)
