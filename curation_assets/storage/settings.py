"""Settings of the warehouse: the DuckDB file and the Parquet shards of its record tables."""

from __future__ import annotations

from pydantic import Field

from curation_assets.core.settings import Strict


class WarehouseConfig(Strict):
    """Relative paths resolve against the working directory; $CURATION_WAREHOUSE and $CURATION_SHARDS override."""

    path: str = "curation_data/warehouse.duckdb"
    shards: str | None = Field(
        default=None,
        description="Folder or filesystem URI (file://, s3://...) of the record tables' Parquet shards; "
                    "default: beside the warehouse file, <file stem>_shards.",
    )
    shard_records: int = Field(default=50_000, ge=1, description="A shard holds at most this many records ...")
    shard_bytes: int = Field(default=256 * 1024 * 1024, ge=1024, description="... or about this many bytes of text.")
    memory_limit: str = Field(
        default="1GB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB's memory limit for the pipeline's warehouse connections; beyond it DuckDB spills "
                    "to disk (measured: publishing a million dedup_history rows holds 4.3 GiB without a limit, "
                    "1.8 GiB with 1GB, in the same time).",
    )
