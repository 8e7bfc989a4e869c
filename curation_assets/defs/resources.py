import dagster as dg

from curation_assets.storage.warehouse import Warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file every asset reads from and publishes to."""

    path: str

    def get(self) -> Warehouse:
        return Warehouse(self.path)
