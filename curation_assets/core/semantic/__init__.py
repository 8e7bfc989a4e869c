"""Semantic views of records: embeddings, per-record domains, topic clusters, semantic duplicates."""
