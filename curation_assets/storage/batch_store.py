"""Synthetic batches in the warehouse: one table, each partition's rows keyed by batch (= source)."""

from __future__ import annotations

from curation_assets.storage.sql_files import sql
from curation_assets.storage.warehouse import Warehouse

SYNTHETIC_TABLE = "synthetic_batches"


def first_generated_at(warehouse: Warehouse, batch: str, fingerprint: str) -> str | None:
    with warehouse.connect() as connection:
        if not connection.execute(sql("table_exists"), {"table": SYNTHETIC_TABLE}).fetchall()[0][0]:
            return None
        return connection.execute(sql("batch_generated_at"), {"batch": batch, "fingerprint": fingerprint}).fetchall()[0][0]
