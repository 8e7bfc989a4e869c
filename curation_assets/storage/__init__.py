"""The DuckDB warehouse and the SQL files it runs (plain classes; the Dagster resources are in defs/resources.py)."""
