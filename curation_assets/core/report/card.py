"""What goes into the data card: its facts as one dict, its plots, and the check that it is whole.

Pure over the splits' profiles (``split_profile.py``) and the warehouse's counts, so the card's
numbers are tested without running the graph; the data card asset profiles the splits shard by
shard and writes the files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from curation_assets.core.load.settings import INBOX_SOURCE_PREFIX
from curation_assets.core.report import plots
from curation_assets.core.report.split_profile import profile_frame

if TYPE_CHECKING:
    from curation_assets.config import PipelineConfig

REQUIRED_SECTIONS = ("Sources and licenses", "Real and synthetic mix", "Drop funnel", "Topic coverage", "Split: train",
                     "Split: eval", "Sample records", "Dataset-size ladder")
INLINE_PNG = "data:image/png;base64,"
_QUANTILES = ("p0", "p5", "p25", "p50", "p75", "p95", "p100")
_PROFILED_FIELDS = ("instruction", "input", "response")
# What the profiles hold for the plots and the samples section, not for the split sections.
_NOT_ON_CARD = ("length_histograms", "by_source_kind", "samples")


def table_profile_rows(table: str, profile: pd.DataFrame) -> list[dict]:
    """One row per (source, kind) of ``table``: records and character-length percentiles per field,
    from the warehouse's profile query (one list of percentiles per field)."""
    rows = []
    for record in profile.to_dict("records"):
        row = {"table_name": table, "source": record["source"], "kind": record["kind"], "records": int(record["records"])}
        for field in _PROFILED_FIELDS:
            for name, value in zip(_QUANTILES, record[f"{field}_chars"]):
                row[f"{field}_chars_{name}"] = float(value)
        rows.append(row)
    return rows


def split_profiles(splits: dict[str, pd.DataFrame], config: PipelineConfig) -> dict[str, dict]:
    """Profiles of splits held as frames (small splits, tests); the asset merges per-shard ones."""
    return {name: profile_frame(frame, config.report) for name, frame in splits.items()}


def _token_histogram(profiles: dict[str, dict], field: str) -> dict[str, dict[int, int]]:
    return {name: profile["length_histograms"][f"{field} tokens"] for name, profile in profiles.items()}


def card_figures(profiles: dict[str, dict], funnel: list[dict], config: PipelineConfig) -> dict[str, bytes]:
    """The card's plots as PNG bytes, by name."""
    settings = config.report
    by_source_and_kind = {name: profile["by_source_kind"] for name, profile in profiles.items()}
    return {
        "response_tokens": plots.length_histogram(_token_histogram(profiles, "response"), "Response length",
                                                  "tokens (cl100k)", settings.histogram_bins),
        "instruction_tokens": plots.length_histogram(_token_histogram(profiles, "instruction"), "Instruction length",
                                                     "tokens (cl100k)", settings.histogram_bins),
        "source_mix": plots.source_mix(by_source_and_kind, "Records per source (train + eval)"),
        "drop_funnel": plots.horizontal_bars(
            [(f"{row['stage']}: {row['reason']}", int(row["records"])) for row in funnel] or [("none", 0)],
            "Rejected records by stage and reason"),
        "opening_words": plots.horizontal_bars(profiles["train"]["opening_words"] or [("none", 0)],
                                               "Most common instruction openings (train)"),
        "verb_object": plots.horizontal_bars(profiles["train"]["verb_object"]["top"] or [("none", 0)],
                                             "Most common (verb, object) pairs (train)"),
    }


def _source_rows(config: PipelineConfig, profiles: dict[str, dict], loaded: dict[str, int],
                 inbox_loaded: int) -> list[dict]:
    """The sources table: each configured source, then the inbox's files as one row (each file is
    its own source in the splits)."""
    by_source = {name: profiles[name]["by_source"] for name in ("train", "eval")}
    rows = [{"name": s.name, "kind": s.kind, "license": s.license, "loaded": loaded[s.name],
             "train": by_source["train"].get(s.name, 0), "eval": by_source["eval"].get(s.name, 0)}
            for s in config.sources]
    if config.inbox is not None:
        from_inbox = {name: sum(count for source, count in counts.items() if source.startswith(INBOX_SOURCE_PREFIX))
                      for name, counts in by_source.items()}
        rows.append({"name": f"inbox ({config.inbox.path})", "kind": config.inbox.kind, "license": config.inbox.license,
                     "loaded": inbox_loaded, "train": from_inbox["train"], "eval": from_inbox["eval"]})
    return rows


def build_card(config: PipelineConfig, profiles: dict[str, dict], funnel: list[dict],
               table_rows: dict[str, int], loaded: dict[str, int], inbox_loaded: int,
               ladder_rows: pd.DataFrame) -> dict:
    """The card's facts. ``loaded``: records published per configured source; ``inbox_loaded``: by
    the inbox; ``ladder_rows``: the ladder table (size, records, path)."""
    settings = config.report
    card = {
        "title": settings.title,
        "config_version": config.version(),
        "export_format": config.export.format,
        "split_seed": config.split.seed,
        "tokenizer": settings.tokenizer,
        "sources": _source_rows(config, profiles, loaded, inbox_loaded),
        "kind_mix": {name: profile["by_kind"] for name, profile in profiles.items()},
        "records_loaded": sum(loaded.values()) + inbox_loaded + sum(r["records"] for r in funnel if r["stage"] == "load"),
        "records_exported": sum(profile["records"] for profile in profiles.values()),
        "records_rejected": sum(int(row["records"]) for row in funnel),
        "funnel": funnel,
        "splits": {name: {key: value for key, value in profile.items() if key not in _NOT_ON_CARD}
                   for name, profile in profiles.items()},
        "samples": {name: profile["samples"] for name, profile in profiles.items()},
        "ladder": [{"size": int(row.size), "records": int(row.records), "file": row.path.rsplit("/", 1)[-1],
                    "over_max_tokens": None if pd.isna(getattr(row, "over_max_tokens", None))
                    else int(row.over_max_tokens)}
                   for row in ladder_rows.itertuples()],
        "table_rows": table_rows,
    }
    card["summary"] = {key: card[key] for key in ("sources", "kind_mix", "records_loaded", "records_exported",
                                                   "records_rejected", "table_rows")}
    return card


def missing_sections(html: str) -> list[str]:
    return [section for section in REQUIRED_SECTIONS if section not in html]


def write_card(html: str, figures: dict[str, bytes], output_dir: Path) -> Path:
    """The card as ``data_card.html`` and each plot as ``plots/<name>.png``; the card's path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    card_path = output_dir / "data_card.html"
    card_path.write_text(html, encoding="utf-8")
    plot_dir = output_dir / "plots"
    plot_dir.mkdir(exist_ok=True)
    for name, png in figures.items():
        (plot_dir / f"{name}.png").write_bytes(png)
    return card_path
