"""The export manifest: what was exported, from which sources, under which licenses."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from curation_assets.core.files import file_sha256


def build_manifest(
    splits: dict[str, pd.DataFrame],
    files: dict[str, Path],
    licenses: dict[str, str],
    kinds: dict[str, str],
    export_format: str,
    config_version: str,
) -> dict:
    """Deterministic (no timestamps), so identical inputs give an identical manifest."""
    per_source: dict[str, dict] = {}
    for split_name, frame in splits.items():
        for source, count in frame["source"].value_counts().sort_index().items():
            entry = per_source.setdefault(
                str(source), {"license": licenses.get(str(source)), "kind": kinds.get(str(source)), "records": {}}
            )
            entry["records"][split_name] = int(count)
    return {
        "format": export_format,
        "config_version": config_version,
        "files": {
            split_name: {"path": path.name, "records": len(splits[split_name]), "sha256": file_sha256(path)}
            for split_name, path in files.items()
        },
        "sources": dict(sorted(per_source.items())),
    }


def write_manifest(manifest: dict, path: Path) -> None:
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def count_valid_json_lines(path: Path) -> tuple[int, list[str]]:
    """Lines in a JSONL file and the problems found (non-JSON lines, empty lines)."""
    problems = []
    count = 0
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            count += 1
            try:
                json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(f"line {number}: {error.msg}")
    return count, problems
