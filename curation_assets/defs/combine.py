"""combined: every source's records, the inbox files' and the verified synthetic records in one table."""

import dagster as dg

from curation_assets.config import PipelineConfig
from curation_assets.core import combine
from curation_assets.defs.inbox import INBOX_TABLE
from curation_assets.defs.load import raw_table
from curation_assets.defs.stage_asset import stage_asset
from curation_assets.defs.verify import VERIFIED_KEY
from curation_assets.engine.shard_stage import ShardStage


def definitions(config: PipelineConfig) -> dg.Definitions:
    raw_tables = [raw_table(source) for source in config.sources]
    # Every file ever dropped into the inbox (nothing until the first one arrives).
    inbox_tables = [INBOX_TABLE] if config.inbox is not None else []
    # Verified synthetic batches join the real sources (only when the config has active batches).
    synthetic_tables = [VERIFIED_KEY.path[-1]] if config.catalog().active_batches() else []

    combined = stage_asset(
        config,
        key="combined",
        upstream=raw_tables + inbox_tables + synthetic_tables,
        stage=combine.STAGE,
        description="Every source's records, the inbox files' records and the verified synthetic records in one table.",
        code_version=config.stage_version(config.checks),
        # Each group of upstream shards becomes one shard: no process holds every source at once.
        shard_stage=ShardStage(run=combine.combine_shard),
    )
    return dg.Definitions(assets=[combined])
