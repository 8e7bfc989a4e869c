"""The ``deduplicated`` asset: every dedup pass, its checks, and one transaction for all its tables.

Besides the ``deduplicated`` records and the stage's rejections, the transaction writes
``duplicate_clusters``, ``conflicts`` and the ``dedup_history`` rows that let the next batch be
deduplicated against this one. A failed check publishes none of them.
"""


import dagster as dg
import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.dedup import report as dedup_report
from curation_assets.core.dedup.conflicts import SAME_PROMPT, SAME_RESPONSE
from curation_assets.core.dedup.stage import STAGE, DedupOutcome, deduplicate
from curation_assets.core.dedup.history import HISTORY_COLUMNS
from curation_assets.defs.stage_asset import StageRun, stage_asset
from curation_assets.storage.sql_files import sql
from curation_assets.storage.dedup_history import WarehouseHistory

DEDUP_KEY = dg.AssetKey("deduplicated")
NEAR_DUPLICATE_CHECK = "no_near_duplicates_kept"
CONFLICT_REASONS = (SAME_PROMPT, SAME_RESPONSE)


def _write_side_tables(outcome: DedupOutcome, batch_ids: pd.Series):
    scope = pd.DataFrame({"record_id": pd.concat([batch_ids, outcome.history_rows["record_id"]]).unique()})
    history = outcome.history_rows.loc[:, list(HISTORY_COLUMNS)]

    def write(connection) -> None:
        connection.register("staged_clusters", outcome.clusters)
        connection.register("staged_conflicts", outcome.conflicts)
        connection.register("staged_history", history)
        connection.register("staged_history_scope", scope)
        connection.execute(sql("create_duplicate_clusters"))
        if len(outcome.clusters):
            connection.execute(sql("insert_duplicate_clusters"))
        connection.execute(sql("create_conflicts"))
        if len(outcome.conflicts):
            connection.execute(sql("insert_conflicts"))
        connection.execute(sql("create_dedup_history"))
        connection.execute(sql("delete_dedup_history"))
        if len(history):
            connection.execute(sql("insert_dedup_history"))

    return write


def _near_duplicate_check(outcome: DedupOutcome) -> dg.AssetCheckResult:
    residual = outcome.near.residual if outcome.near is not None else pd.DataFrame()
    kept = set(outcome.result.kept["record_id"])
    reason_of = dict(zip(outcome.result.rejected["record_id"], outcome.result.rejected["reason"]))
    # Every cluster keeps only its representative: this batch's (unless the conflicts pass, which runs
    # after, rejected it), or one published earlier.
    problems = []
    for row in outcome.clusters.itertuples(index=False):
        others_kept = [member for member in row.member_ids[1:] if member in kept]
        representative_reason = reason_of.get(row.representative_id)
        if others_kept or representative_reason not in (None, *CONFLICT_REASONS):
            problems.append(f"cluster {row.cluster_id}: representative rejected as {representative_reason}, "
                            f"other members kept: {others_kept}")
    examples = [] if residual.empty else residual.head(5)[["left_id", "right_id", "jaccard", "content_jaccard"]].to_dict("records")
    return dg.AssetCheckResult(
        asset_key=DEDUP_KEY,
        check_name=NEAR_DUPLICATE_CHECK,
        passed=residual.empty and not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "near_duplicate_pairs_kept": len(residual),
            "examples": dg.MetadataValue.json(examples),
            "cluster_problems": dg.MetadataValue.json(problems[:10]),
        },
    )


def _metadata(outcome: DedupOutcome, records: pd.DataFrame) -> dict:
    near = outcome.near
    texts = {}
    if near is not None:
        for frame in (near.pairs, near.near_misses):
            texts.update(zip(frame["left_id"], frame["left_text"]))
            texts.update(zip(frame["right_id"], frame["right_text"]))
    return {
        "near_duplicates": dg.MetadataValue.json(near.stats if near is not None else {"enabled": False}),
        "duplicate_clusters": len(outcome.clusters),
        "largest_clusters": dg.MetadataValue.md(dedup_report.largest_clusters(outcome, texts)),
        "pairs_nearest_the_threshold": dg.MetadataValue.md(
            dedup_report.pairs_side_by_side(near.pairs) if near is not None else "Near-duplicates off."),
        "near_misses_below_the_threshold": dg.MetadataValue.md(
            dedup_report.pairs_side_by_side(near.near_misses, most_similar_first=True) if near is not None else "—"),
        "conflicts": dg.MetadataValue.md(dedup_report.conflicts_preview(outcome)),
        "conflict_groups": len(outcome.conflicts),
    }


def definitions(config: PipelineConfig) -> dg.Definitions:
    near = config.dedup.near_duplicates

    def run(records, context, store) -> StageRun:
        history = WarehouseHistory(store) if near.incremental else None
        outcome = deduplicate(records, config.dedup, config.catalog().source_rank, history)
        return StageRun(outcome.result, metadata=_metadata(outcome, records), checks=[_near_duplicate_check(outcome)],
                        side_tables=_write_side_tables(outcome, records["record_id"]))

    deduplicated = stage_asset(
        config,
        key=DEDUP_KEY.path[-1],
        upstream=["mixed"],
        stage=STAGE,
        description=(
            "Exact duplicates after normalization (NFKC, casefold, whitespace), self-repeating responses, "
            f"near-duplicates (MinHash/LSH, {near.shingle_kind} {near.shingle_size}-shingles, Jaccard ≥ "
            f"{near.threshold}) and conflicting records removed, also against every record published earlier. "
            "Writes duplicate_clusters and conflicts too."
        ),
        code_version=config.stage_version(config.dedup, config.checks),
        check_specs=[dg.AssetCheckSpec(
            name=NEAR_DUPLICATE_CHECK,
            asset=DEDUP_KEY,
            blocking=True,
            description="A fresh LSH pass over the kept records finds no near-duplicate pair, and no "
            "cluster keeps a member other than its representative.",
        )],
        run=run,
    )
    return dg.Definitions(assets=[deduplicated])
