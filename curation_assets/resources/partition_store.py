"""Partitioned record tables in the warehouse: one table, each partition's rows keyed by their source
(a synthetic batch in ``synthetic_batches``, an inbox file in ``raw_inbox``)."""

from __future__ import annotations

import pandas as pd

from curation_assets.core.records import REJECTION_COLUMNS
from curation_assets.resources.sql_files import sql
from curation_assets.resources.warehouse import Warehouse

SYNTHETIC_TABLE = "synthetic_batches"


def publish_partition(warehouse: Warehouse, source: str, records: pd.DataFrame, rejections: pd.DataFrame,
                      stage: str, table: str = SYNTHETIC_TABLE, quarantine_name: str | None = None) -> None:
    """Replace the rows of one partition (those whose ``source`` is ``source``) and its rejections in one
    locked transaction, and drop the quarantine an earlier failed attempt may have left."""
    with warehouse.connect() as connection:
        connection.register("staged", records)
        connection.register("staged_rejections", rejections.loc[:, list(REJECTION_COLUMNS)])
        connection.execute("BEGIN TRANSACTION")
        try:
            connection.execute(sql("create_partitioned_table", table=table))
            connection.execute(sql("delete_partition", table=table), {"source": source})
            connection.execute(sql("insert_partition", table=table))
            connection.execute(sql("delete_stage_rejections"), {"stage": stage, "source": source})
            connection.execute(sql("insert_rejections"))
            connection.execute(sql("drop_quarantine", table=quarantine_name or f"{table}_{source}"))
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise


def first_generated_at(warehouse: Warehouse, batch: str, fingerprint: str) -> str | None:
    with warehouse.connect() as connection:
        exists = connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", [SYNTHETIC_TABLE]
        ).fetchone()[0]
        if not exists:
            return None
        return connection.execute(sql("batch_generated_at"), {"batch": batch, "fingerprint": fingerprint}).fetchone()[0]
