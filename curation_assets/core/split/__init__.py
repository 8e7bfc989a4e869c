"""Splitting: deterministic train/eval assignment."""
