"""Pure curation logic on DataFrames and records. Nothing in this package imports Dagster."""
