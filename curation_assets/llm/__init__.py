"""The OpenAI-compatible client, its cache and settings (plain classes; the Dagster resource is in defs/resources.py)."""
