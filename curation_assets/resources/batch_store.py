"""Synthetic batches in the warehouse: one table, each partition's rows keyed by batch (= source)."""

from __future__ import annotations

import pandas as pd

from curation_assets.core.records import REJECTION_COLUMNS
from curation_assets.resources.sql_files import sql
from curation_assets.resources.warehouse import Warehouse

TABLE = "synthetic_batches"


def publish_batch(warehouse: Warehouse, batch: str, records: pd.DataFrame, rejections: pd.DataFrame,
                  stage: str) -> None:
    """Replace this batch's rows and its rejections in one locked transaction."""
    with warehouse.connect() as connection:
        connection.register("staged", records)
        connection.register("staged_rejections", rejections.loc[:, list(REJECTION_COLUMNS)])
        connection.execute("BEGIN TRANSACTION")
        try:
            connection.execute(sql("publish_batch"))
            connection.execute(sql("delete_batch"), {"batch": batch})
            connection.execute(sql("insert_batch"))
            connection.execute(sql("delete_stage_rejections"), {"stage": stage, "source": batch})
            connection.execute(sql("insert_rejections"))
            connection.execute(sql("drop_quarantine", table=f"{TABLE}_{batch}"))
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise


def first_generated_at(warehouse: Warehouse, batch: str, fingerprint: str) -> str | None:
    with warehouse.connect() as connection:
        exists = connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", [TABLE]
        ).fetchone()[0]
        if not exists:
            return None
        return connection.execute(sql("batch_generated_at"), {"batch": batch, "fingerprint": fingerprint}).fetchone()[0]
