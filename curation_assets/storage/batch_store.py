"""Synthetic batches in the warehouse: one table, each partition's rows keyed by batch (= source)."""

from __future__ import annotations

from curation_assets.storage.sql_files import sql
from curation_assets.storage.warehouse import Warehouse

SYNTHETIC_TABLE = "synthetic_batches"


def first_generated_at(warehouse: Warehouse, batch: str, fingerprint: str) -> str | None:
    with warehouse.connect() as connection:
        exists = connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", [SYNTHETIC_TABLE]
        ).fetchone()[0]
        if not exists:
            return None
        return connection.execute(sql("batch_generated_at"), {"batch": batch, "fingerprint": fingerprint}).fetchone()[0]
