"""Markdown views of a dedup run, to judge the threshold by eye: largest clusters, pairs side by side."""

from __future__ import annotations

import pandas as pd

from curation_assets.core.dedup.stage import DedupOutcome

_CELL_CHARS = 160


def _cell(text, limit: int = _CELL_CHARS) -> str:
    text = "" if text is None else str(text)
    text = text.replace("\n", " ⏎ ").replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:.2f}"


def largest_clusters(outcome: DedupOutcome, texts: dict[str, str], count: int = 5) -> str:
    clusters = outcome.clusters
    if clusters.empty:
        return "No near-duplicate clusters."
    top = clusters.sort_values(["size", "cluster_id"], ascending=[False, True], kind="mergesort").head(count)
    lines = ["| cluster | size | representative (kept) | another member | Jaccard |", "|---|---|---|---|---|"]
    for row in top.itertuples(index=False):
        other = row.member_ids[1] if len(row.member_ids) > 1 else None
        lines.append(f"| {row.cluster_id} | {row.size} | {_cell(texts.get(row.representative_id))} | "
                     f"{_cell(texts.get(other))} | {row.jaccard[1]:.2f} |")
    return "\n".join(lines)


def pairs_side_by_side(pairs: pd.DataFrame, count: int = 5, most_similar_first: bool = False) -> str:
    """``count`` pairs, the least similar first (accepted pairs near the threshold) or the most similar
    first (near misses just below it)."""
    if pairs.empty:
        return "None."
    ranked = pairs.assign(_lower=pairs[["jaccard", "content_jaccard"]].min(axis=1).fillna(pairs["estimated_jaccard"])).sort_values(
        ["_lower", "left_id", "right_id"], ascending=[not most_similar_first, True, True], kind="mergesort")
    closest = ranked.head(count)
    lines = ["| Jaccard | without boilerplate | MinHash estimate | one | other |", "|---|---|---|---|---|"]
    for row in closest.itertuples(index=False):
        lines.append(f"| {_number(row.jaccard)} | {_number(row.content_jaccard)} | {row.estimated_jaccard:.2f} | "
                     f"{_cell(row.left_text)} | {_cell(row.right_text)} |")
    return "\n".join(lines)


def conflicts_preview(outcome: DedupOutcome, count: int = 8) -> str:
    table = outcome.conflicts
    if table.empty:
        return "No conflicts."
    lines = ["| kind | size | kept | shared text |", "|---|---|---|---|"]
    for row in table.sort_values(["size", "conflict_id"], ascending=[False, True]).head(count).itertuples(index=False):
        lines.append(f"| {row.kind} | {row.size} | {len(row.kept_ids)} | {_cell(row.shared_text)} |")
    return "\n".join(lines)
