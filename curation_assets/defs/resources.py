import dagster as dg

from curation_assets.config import PipelineConfig
from curation_assets.storage.shards import ShardSize
from curation_assets.storage.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file every asset reads from and publishes to, and its record tables' shards."""

    path: str
    shards: str
    shard_records: int
    shard_bytes: int

    @classmethod
    def from_config(cls, config: PipelineConfig) -> "WarehouseResource":
        settings = config.warehouse
        return cls(path=str(config.warehouse_path()), shards=config.shards_uri(),
                   shard_records=settings.shard_records, shard_bytes=settings.shard_bytes)

    def get(self) -> Warehouse:
        return Warehouse(self.path, self.shards, ShardSize(self.shard_records, self.shard_bytes))
