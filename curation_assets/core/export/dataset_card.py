"""The export folder's ``README.md``: a Hugging Face dataset card. Its YAML front matter (license,
language, size category, the splits' data files) makes the folder loadable with
``datasets.load_dataset(<folder>)`` and publishable with ``push_to_hub`` as it is; its body holds the
essentials of the HTML data card (sources and licenses, mix, drop funnel, files)."""

from __future__ import annotations

from typing import Any

import yaml

from curation_assets.core.report.markdown import markdown_table

# Hub license identifiers our sources' free-text licenses map onto; anything else is "other".
_HUB_LICENSES = {"mit", "apache-2.0", "cc-by-4.0", "cc-by-sa-4.0", "cc0-1.0", "cc-by-nc-4.0", "cc-by-nc-sa-4.0",
                 "bsd-3-clause", "gpl-3.0", "odc-by", "odbl", "openrail"}
_SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                    (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]


def hub_license(licenses: list[str]) -> str:
    """One Hub license id when every source has the same known one, else ``other`` (the body lists each)."""
    known = {license.strip().lower() for license in licenses if license}
    return known.pop() if len(known) == 1 and next(iter(known)) in _HUB_LICENSES else "other"


def size_category(records: int) -> str:
    return next((label for bound, label in _SIZE_CATEGORIES if records < bound), "n>1B")


def dataset_card(manifest: dict, title: str, languages: list[str], mix: list[dict[str, Any]],
                 funnel: list[dict[str, Any]]) -> str:
    splits = manifest["splits"]
    data_files = manifest.get("parquet", {}).get("data_files") or {name: split["data_files"] for name, split in splits.items()}
    sources = manifest["sources"]
    front = {
        "license": hub_license([entry["license"] for entry in sources.values()]),
        "language": sorted(languages),
        "size_categories": [size_category(sum(split["records"] for split in splits.values()))],
        "task_categories": ["text-generation"],
        "pretty_name": title,
        "configs": [{"config_name": "default", "default": True,
                     "data_files": [{"split": name, "path": pattern} for name, pattern in data_files.items()]}],
    }
    names = list(splits)
    counts = ", ".join(f"{splits[name]['records']:,} {name}" for name in names)
    source_rows = [[name, entry["kind"], entry["license"], *(entry["records"].get(split, 0) for split in names)]
                   for name, entry in sources.items()]
    parts = [
        "---", yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip(), "---", "",
        f"# {title}", "",
        f"Instruction data curated by the `curation` pipeline: {counts} records in `{manifest['format']}` "
        "format; every example carries `id` (its record id in the "
        "warehouse) and `source`. `manifest.json` lists every file with its SHA-256.", "",
        "```python", "from datasets import load_dataset", "",
        'dataset = load_dataset("path/to/this/folder")  # or the Hub repository it was pushed to', "```", "",
        "## Sources and licenses", "",
        markdown_table(["source", "kind", "license", *names], source_rows), "",
    ]
    if mix:
        parts += ["## Real and synthetic mix", "", markdown_table(
            ["domain", "target share", "achieved share", "real", "synthetic admitted"],
            [[row["domain"], "-" if row["target_share"] is None or row["target_share"] != row["target_share"]
              else f"{row['target_share']:.3f}", f"{row['achieved_share']:.3f}", row["real_records"],
              row["synthetic_admitted"]] for row in mix]), ""]
    parts += ["## Drop funnel", "", "Records the pipeline dropped, by stage (in pipeline order) and reason.", "",
              markdown_table(["stage", "reason", "records"], [[row["stage"], row["reason"], row["records"]]
                                                               for row in funnel]) if funnel else "Nothing was dropped.", ""]
    return "\n".join(parts)
