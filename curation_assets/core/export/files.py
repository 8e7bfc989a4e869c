"""The export: train and eval as training files, a manifest, and what is wrong with the files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from curation_assets.core.catalog import SourceCatalog
from curation_assets.core.export.formats import training_lines, write_jsonl_atomically
from curation_assets.core.export.manifest import build_manifest, count_valid_json_lines, write_manifest
from curation_assets.core.export.settings import ExportConfig


@dataclass
class Export:
    files: dict[str, Path]
    manifest: dict
    # Per split whose file does not hold one valid JSON line per record: what was found.
    problems: dict[str, dict]

    def listing(self, export_format: str, splits: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """One row per exported file: split, path, format, records, sha256."""
        return pd.DataFrame([
            {"split": name, "path": str(path), "format": export_format, "records": len(splits[name]),
             "sha256": self.manifest["files"][name]["sha256"]}
            for name, path in self.files.items()
        ])


def file_problems(files: dict[str, Path], splits: dict[str, pd.DataFrame]) -> dict[str, dict]:
    problems = {}
    for name, path in files.items():
        lines, bad = count_valid_json_lines(path)
        if lines != len(splits[name]) or bad:
            problems[name] = {"lines": lines, "records": len(splits[name]), "invalid": bad[:5]}
    return problems


def export_splits(splits: dict[str, pd.DataFrame], output_dir: Path, settings: ExportConfig, catalog: SourceCatalog,
                  config_version: str) -> Export:
    """Write ``<split>.jsonl`` per split and ``manifest.json`` (per source: license, kind, records)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    files = {name: output_dir / f"{name}.jsonl" for name in splits}
    for name, frame in splits.items():
        write_jsonl_atomically(training_lines(frame, settings.format, settings.system_prompt), files[name])
    present = sorted({str(source) for frame in splits.values() for source in frame["source"]})
    manifest = build_manifest(
        splits,
        files,
        licenses={source: catalog.license_of(source) for source in present},
        kinds={source: catalog.kind_of(source) for source in present},
        export_format=settings.format,
        config_version=config_version,
    )
    write_manifest(manifest, output_dir / "manifest.json")
    return Export(files, manifest, file_problems(files, splits))
