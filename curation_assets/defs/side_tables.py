"""The warehouse tables stages write beside their records, as nodes of the lineage graph.

``rejections``, ``duplicate_clusters``, ``conflicts``, ``dedup_history``, ``mix_report`` and
``llm_cache`` are written inside the transaction of the asset that produces them (a blocking check
failing publishes none of them), so they are not materialized on their own. Declared here as
asset specs downstream of their producers, they appear in the UI's lineage graph and catalog with
what they hold and where to query them.
"""

from __future__ import annotations

import dagster as dg

from curation_assets.core.records import REJECTION_COLUMN_DESCRIPTIONS, REJECTION_COLUMNS

GROUP = "warehouse_tables"
# Stages whose rejections go to ``rejections`` (raw source assets are found by their prefix).
REJECTING = ("raw_inbox", "synthetic_batches", "verified_synthetic", "combined", "mixed", "cleaned",
             "decontaminated", "deduplicated", "splits")

SIDE_TABLES = {
    "rejections": "Every record a stage dropped, with stage, reason and detail, and its text and lineage: "
                  "in = out + rejected for every stage. The data card's drop funnel is built from it.",
    "duplicate_clusters": "Near-duplicate clusters: representative kept, members, their Jaccard to it.",
    "conflicts": "Groups of records with the same prompt and different answers (or one answer to many "
                 "prompts), and what the conflict policy kept.",
    "dedup_history": "Keys and MinHash signatures of every record dedup published: later batches are "
                     "deduplicated against them.",
    "mix_report": "Per domain: achieved vs target share, real records, synthetic admitted of available.",
    "llm_cache": "Every LLM request and reply (keyed by request), so re-runs replay instead of calling again.",
    "semantic_duplicates": "Records dedup.semantic dropped as semantic duplicates, each with the record kept in "
                           "its place and their cosine similarity.",
    "record_domains": "Each combined record's domain for the mix caps (mix.record_domains): its source's, the "
                      "classifier's prediction and confidence, and the one used.",
}
def _record_columns(names) -> list[tuple[str, str, str]]:
    """Record columns as the warehouse types them, described once (core/records.py)."""
    return [(name, "BIGINT" if name == "source_position" else "VARCHAR", REJECTION_COLUMN_DESCRIPTIONS[name])
            for name in names]


COLUMNS = {  # (name, type, description) of each side table's columns, as sql/create_*.sql make them
    "rejections": _record_columns(REJECTION_COLUMNS),
    "duplicate_clusters": [
        ("cluster_id", "VARCHAR", "The cluster's id (stable for the same members)."),
        ("representative_id", "VARCHAR", "The member kept (best by source rank, then quality), or one published earlier."),
        ("size", "BIGINT", "Members, the representative included."),
        ("member_ids", "VARCHAR[]", "Every member, the representative first."),
        ("jaccard", "DOUBLE[]", "Each member's exact shingle Jaccard to the representative."),
        ("estimated_jaccard", "DOUBLE[]", "The same, as MinHash estimated it."),
    ],
    "conflicts": [
        ("conflict_id", "VARCHAR", "The group's id."),
        ("kind", "VARCHAR", "conflicting_response (one prompt, different answers) or reused_response (one answer, "
                            "different prompts)."),
        ("size", "BIGINT", "Records in the group."),
        ("record_ids", "VARCHAR[]", "Every record of the group."),
        ("kept_ids", "VARCHAR[]", "Those the conflict policy kept."),
        ("policy", "VARCHAR", "The configured policy that decided."),
        ("shared_text", "VARCHAR", "The prompt (or answer) they share."),
    ],
    "dedup_history": [
        *_record_columns(("record_id", "source", "source_position", "kind", "instruction", "input", "response")),
        ("content_key", "VARCHAR", "Hash of the normalized prompt, input and answer (exact duplicates)."),
        ("prompt_key", "VARCHAR", "Hash of the normalized prompt and input (conflicts)."),
        ("response_key", "VARCHAR", "Hash of the normalized answer (reused answers)."),
        ("scheme", "VARCHAR", "The settings the keys and signature were made with."),
        ("signature", "BLOB", "MinHash signature: num_perm little-endian uint32 values."),
    ],
    "mix_report": [
        ("domain", "VARCHAR", "The mixing domain."), ("target_share", "DOUBLE", "The configured share (empty: none)."),
        ("achieved_share", "DOUBLE", "The share of mixed records in the domain."),
        ("real_records", "BIGINT", "Real records kept."),
        ("synthetic_available", "BIGINT", "Synthetic records that reached the mix."),
        ("synthetic_admitted", "BIGINT", "Synthetic records kept."),
        ("records", "BIGINT", "Records kept in the domain."),
    ],
    "semantic_duplicates": [
        ("record_id", "VARCHAR", "The record dropped."), ("kept_id", "VARCHAR", "The record kept in its place."),
        ("cosine", "DOUBLE", "Their embeddings' cosine similarity."),
    ],
    "record_domains": [
        *_record_columns(("record_id", "source")),
        ("source_domain", "VARCHAR", "The domain its source is configured with."),
        ("predicted_domain", "VARCHAR", "The nearest domain centroid of its embedding."),
        ("confidence", "FLOAT", "The predicted domain's similarity less the runner-up's."),
        ("domain", "VARCHAR", "The domain the mix counted it in: trained-on sources keep theirs; others take "
                              "the prediction at min_confidence or above."),
    ],
    "llm_cache": [
        ("request_key", "VARCHAR", "Hash of model, messages and sampling: the cache key."),
        ("model", "VARCHAR", "The model asked."), ("request", "VARCHAR", "The request (JSON)."),
        ("content", "VARCHAR", "The reply."), ("finish_reason", "VARCHAR", "Why the reply ended."),
        ("prompt_tokens", "BIGINT", "Tokens sent."), ("completion_tokens", "BIGINT", "Tokens received."),
        ("received_at", "VARCHAR", "When (UTC)."), ("run_id", "VARCHAR", "The Dagster run that asked."),
    ],
}
# Written only when their settings are on (mix.record_domains, dedup.semantic.threshold).
OPTIONAL = frozenset({"record_domains", "semantic_duplicates"})
PRODUCERS = {
    "duplicate_clusters": ("deduplicated",),
    "conflicts": ("deduplicated",),
    "dedup_history": ("deduplicated",),
    "mix_report": ("mixed",),
    "record_domains": ("mixed",),
    "semantic_duplicates": ("deduplicated",),
    "llm_cache": ("synthetic_batches", "verified_synthetic"),
}


def side_table_specs(asset_keys: set[str], uses_llm: bool, optional: frozenset[str] = frozenset()) -> list[dg.AssetSpec]:
    """A spec per side table whose producers are in the graph (``asset_keys``); ``llm_cache`` only
    where an LLM endpoint is configured, the ``OPTIONAL`` ones only when named in ``optional``."""
    specs = []
    for table, description in SIDE_TABLES.items():
        if (table == "llm_cache" and not uses_llm) or (table in OPTIONAL and table not in optional):
            continue
        if table == "rejections":
            producers = sorted(key for key in asset_keys if key.startswith("raw_") or key in REJECTING)
        else:
            producers = [key for key in PRODUCERS[table] if key in asset_keys]
        if producers:
            schema = dg.TableSchema(columns=[dg.TableColumn(name, type_, description=text)
                                             for name, type_, text in COLUMNS[table]])
            specs.append(dg.AssetSpec(table, deps=producers, description=description, group_name=GROUP,
                                      kinds={"duckdb"}, metadata={"dagster/table_name": f"main.{table}",
                                                                  "dagster/column_schema": schema}))
    return specs


def written_by(producer: str, uses_llm: bool = False) -> list[str]:
    """The side tables asset ``producer`` writes when it publishes."""
    tables = ["rejections"] if producer.startswith("raw_") or producer in REJECTING else []
    return tables + [table for table, producers in PRODUCERS.items()
                     if producer in producers and (table != "llm_cache" or uses_llm) and table not in OPTIONAL]


def report_side_tables(context: dg.AssetExecutionContext, warehouse, producer: str, uses_llm: bool = False) -> None:
    """A materialization of each side table ``producer`` has just written (in its publishing
    transaction): the tables' Events tab in the UI shows which run and step wrote them, and their rows."""
    for table in written_by(producer, uses_llm):
        try:
            rows = int(warehouse.read_frame(f"SELECT count(*) AS n FROM main.{table}")["n"].iloc[0])
        except Exception:  # noqa: BLE001 - a table this run did not create (nothing was ever rejected)
            continue
        context.log_event(dg.AssetMaterialization(
            asset_key=table, description=f"written by {producer}",
            metadata={"dagster/row_count": rows, "written_by": producer, "dagster/table_name": f"main.{table}"}))
