"""The ``deduplicated`` asset: every dedup pass, its checks, and one transaction for all its tables.

The stage runs as map, decide, apply (engine/decided_stage.py): each shard is signed on the worker
pool (keys, MinHash, repetition verdicts), one process decides over the slim rows of all of them
(core/dedup/stage.py ``decide``), and the shards are split by its verdicts on the pool.

Besides the ``deduplicated`` records and the stage's rejections, the transaction writes
``duplicate_clusters``, ``conflicts`` and the ``dedup_history`` rows that let the next batch be
deduplicated against this one. A failed check publishes none of them.
"""


import dagster as dg
import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.dedup import report as dedup_report
from curation_assets.core.dedup.conflicts import SAME_PROMPT, SAME_RESPONSE
from curation_assets.core.dedup import stage as dedup_stage
from curation_assets.core.dedup.batch import bands_of, combine
from curation_assets.core.dedup.stage import STAGE, DedupDecision
from curation_assets.core.dedup.history import HISTORY_COLUMNS
from curation_assets.defs.stage_asset import Decision, DecisionInput, stage_asset
from curation_assets.engine.band_shuffle import BandShuffle, ShuffledIndex, SignAndShuffle
from curation_assets.engine.decided_stage import map_shards
from curation_assets.engine.pool import worker_count
from curation_assets.engine.semantic_dedup import semantic_pass
from curation_assets.core.rules import excerpt
from curation_assets.storage.shards import Version, file_list_literal
from curation_assets.storage.sql_files import sql
from curation_assets.storage.dedup_history import WarehouseHistory

DEDUP_KEY = dg.AssetKey("deduplicated")
NEAR_DUPLICATE_CHECK = "no_near_duplicates_kept"
CONFLICT_REASONS = (SAME_PROMPT, SAME_RESPONSE)


def _semantic_metadata(semantic, rows: pd.DataFrame, shards: DecisionInput) -> dict:
    if semantic is None:
        return {"semantic_duplicates": dg.MetadataValue.json({"enabled": False})}
    shown = {a for a, _, _ in semantic.near_threshold} | {b for _, b, _ in semantic.near_threshold}
    located = rows[rows["record_id"].isin(shown)]
    texts = dict(zip(located["record_id"], shards.texts().columns(located, ["instruction"])["instruction"])) if shown else {}
    lines = [f"| {cosine:.3f} | {excerpt(texts.get(a, ''))} | {excerpt(texts.get(b, ''))} |"
             for a, b, cosine in semantic.near_threshold]
    return {
        "semantic_duplicates": dg.MetadataValue.json(semantic.stats),
        "semantic_pairs_nearest_the_threshold": dg.MetadataValue.md(
            "| cosine | one | the other |\n|---|---|---|\n" + "\n".join(lines) if lines else "No pair near the threshold."),
    }


def _write_side_tables(decision: DedupDecision, spill_files: list, semantic_pairs: pd.DataFrame | None = None):
    """What the publish transaction writes beside the records: only the small tables are held (the
    batch's keys and signatures are read from the spill files), so the decision is freed before the
    records are split and published."""
    clusters, conflicts, scheme = decision.clusters, decision.conflicts, decision.scheme
    refreshed = decision.refreshed.loc[:, list(HISTORY_COLUMNS)]
    # The keys and signatures of every record signed, as spilled shard by shard (core/dedup/spilled.py).
    signed = f"read_parquet({file_list_literal([str(path) for path in spill_files])})"

    def write(connection, kept: Version) -> None:
        if semantic_pairs is not None:  # dedup.semantic: each record dropped and the one kept in its place
            connection.register("staged", semantic_pairs)
            connection.execute(sql("publish_frame", table="semantic_duplicates"))
        connection.register("staged_clusters", clusters)
        connection.register("staged_conflicts", conflicts)
        scope = [f"SELECT record_id FROM {signed}"] if spill_files else []
        if len(refreshed):
            connection.register("staged_refreshed_ids", refreshed.loc[:, ["record_id"]].astype(str))
            scope.append("SELECT record_id FROM staged_refreshed_ids")
        connection.execute("CREATE OR REPLACE TEMP VIEW staged_history_scope AS "
                           + (" UNION ALL ".join(scope) or "SELECT NULL::VARCHAR AS record_id WHERE false"))
        connection.execute(sql("create_duplicate_clusters"))
        if len(clusters):
            connection.execute(sql("insert_duplicate_clusters"))
        connection.execute(sql("create_conflicts"))
        if len(conflicts):
            connection.execute(sql("insert_conflicts"))
        connection.execute(sql("create_dedup_history"))
        connection.execute(sql("delete_dedup_history"))
        if kept.rows:
            connection.execute(f"CREATE OR REPLACE TEMP VIEW staged_history_keys AS SELECT * FROM {signed}")
            connection.execute("CREATE OR REPLACE TEMP VIEW staged_kept_records AS "
                               f"SELECT * FROM read_parquet({file_list_literal(list(kept.files))})")
            connection.execute(sql("insert_dedup_history_from_shards"), {"scheme": scheme})
        if len(refreshed):
            connection.register("staged_history", refreshed)
            connection.execute(sql("insert_dedup_history"))

    return write


def _near_duplicate_check(decision: DedupDecision) -> dg.AssetCheckResult:
    residual = decision.near.residual if decision.near is not None else pd.DataFrame()
    kept = set(decision.kept["record_id"])
    reason_of = dict(zip(decision.rejected["record_id"], decision.rejected["reason"]))
    # Every cluster keeps only its representative: this batch's (unless the conflicts pass, which runs
    # after, rejected it), or one published earlier.
    problems = []
    for row in decision.clusters.itertuples(index=False):
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


def _metadata(decision: DedupDecision) -> dict:
    near = decision.near
    texts = {}
    if near is not None:
        for frame in (near.pairs, near.near_misses):
            texts.update(zip(frame["left_id"], frame["left_text"]))
            texts.update(zip(frame["right_id"], frame["right_text"]))
    return {
        "near_duplicates": dg.MetadataValue.json(near.stats if near is not None else {"enabled": False}),
        "duplicate_clusters": len(decision.clusters),
        "largest_clusters": dg.MetadataValue.md(dedup_report.largest_clusters(decision, texts)),
        "pairs_nearest_the_threshold": dg.MetadataValue.md(
            dedup_report.pairs_side_by_side(near.pairs) if near is not None else "Near-duplicates off."),
        "near_misses_below_the_threshold": dg.MetadataValue.md(
            dedup_report.pairs_side_by_side(near.near_misses, most_similar_first=True) if near is not None else "—"),
        "conflicts": dg.MetadataValue.md(dedup_report.conflicts_preview(decision)),
        "conflict_groups": len(decision.conflicts),
    }


def definitions(config: PipelineConfig) -> dg.Definitions:
    near = config.dedup.near_duplicates

    def decide(shards: DecisionInput) -> Decision:
        partitions = near.band_partitions or max(len(shards.groups), worker_count(shards.workers))
        shuffle = BandShuffle(shards.shards_uri, shards.shared_scratch, partitions)
        signed = map_shards(SignAndShuffle(shuffle), shards.groups, config, shards.shards_uri, shards.workers,
                            label="deduplicated: signing")
        batch = combine(signed, near.num_perm, bands_of(config.dedup)[0], shards.warehouse.shards)
        shards.context.log.info(f"deduplicated: {len(batch):,} records signed in {len(shards.groups)} shards, "
                                f"band keys in {partitions} partitions")
        shards.clock.lap("sign")
        batch_files = [shuffle.batch_file(index) for index in range(len(shards.groups))]

        def shuffled_index(records, earlier, bands):
            return ShuffledIndex(shuffle, batch_files, records, earlier, bands, near.num_perm, shards.workers,
                                 shards.scratch)

        history = WarehouseHistory(shards.warehouse) if near.incremental else None
        decision = dedup_stage.decide(batch, shards.texts(), config.dedup, config.catalog().source_rank, history,
                                      lap=shards.clock.lap, index_factory=shuffled_index)
        rejected = decision.rejected.loc[:, ["record_id", "reason", "detail"]]
        semantic = None
        if config.dedup.semantic.threshold is not None:
            kept = ~batch.rows["record_id"].isin(rejected["record_id"]).to_numpy()
            semantic = semantic_pass(shards.groups, config, shards.shards_uri, shards.shared_scratch, shards.workers,
                                     batch.rows.loc[:, ["record_id", "shard", "shard_row"]], kept)
            rejected = pd.concat([rejected, semantic.rejected], ignore_index=True)
            shards.clock.lap("semantic")
        return Decision(batch.rows.loc[:, ["record_id", "shard", "shard_row"]], rejected,
                        metadata={**_metadata(decision), **_semantic_metadata(semantic, batch.rows, shards)},
                        checks=[_near_duplicate_check(decision)],
                        side_tables=_write_side_tables(decision, list(batch.signatures.files.values()),
                                                       semantic.pairs if semantic is not None else None))

    deduplicated = stage_asset(
        config,
        key=DEDUP_KEY.path[-1],
        upstream=["decontaminated"],
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
        decide=decide,
    )
    return dg.Definitions(assets=[deduplicated])
