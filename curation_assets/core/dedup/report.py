"""Markdown views of a dedup run, to judge the threshold by eye: largest clusters, pairs side by side."""

from __future__ import annotations

import pandas as pd

from curation_assets.core.dedup.stage import DedupDecision, DedupOutcome
from curation_assets.core.report.markdown import markdown_table

_CELL_CHARS = 160


def _number(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:.2f}"


def largest_clusters(outcome: "DedupOutcome | DedupDecision", texts: dict[str, str], count: int = 5) -> str:
    clusters = outcome.clusters
    if clusters.empty:
        return "No near-duplicate clusters."
    top = clusters.sort_values(["size", "cluster_id"], ascending=[False, True], kind="mergesort").head(count)
    rows = []
    for row in top.itertuples(index=False):
        other = row.member_ids[1] if len(row.member_ids) > 1 else None
        rows.append([row.cluster_id, row.size, texts.get(row.representative_id), texts.get(other), f"{row.jaccard[1]:.2f}"])
    return markdown_table(["cluster", "size", "representative (kept)", "another member", "Jaccard"], rows, _CELL_CHARS)


def pairs_side_by_side(pairs: pd.DataFrame, count: int = 5, most_similar_first: bool = False) -> str:
    """``count`` pairs, the least similar first (accepted pairs near the threshold) or the most similar
    first (near misses just below it)."""
    if pairs.empty:
        return "None."
    ranked = pairs.assign(_lower=pairs[["jaccard", "content_jaccard"]].min(axis=1).fillna(pairs["estimated_jaccard"])).sort_values(
        ["_lower", "left_id", "right_id"], ascending=[not most_similar_first, True, True], kind="mergesort")
    closest = ranked.head(count)
    rows = [[_number(row.jaccard), _number(row.content_jaccard), f"{row.estimated_jaccard:.2f}", row.left_text,
             row.right_text] for row in closest.itertuples(index=False)]
    return markdown_table(["Jaccard", "without boilerplate", "MinHash estimate", "one", "other"], rows, _CELL_CHARS)


def conflicts_preview(outcome: "DedupOutcome | DedupDecision", count: int = 8) -> str:
    table = outcome.conflicts
    if table.empty:
        return "No conflicts."
    top = table.sort_values(["size", "conflict_id"], ascending=[False, True]).head(count)
    rows = [[row.kind, row.size, len(row.kept_ids), row.shared_text] for row in top.itertuples(index=False)]
    return markdown_table(["kind", "size", "kept", "shared text"], rows, _CELL_CHARS)
