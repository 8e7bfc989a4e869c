"""Deduplication: exact, near-duplicate (MinHash-LSH) and conflicting records, incremental across runs."""
