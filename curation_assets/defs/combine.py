"""combined: every source's records, the inbox files' and the verified synthetic records in one table."""

import dagster as dg

from curation_assets.config import PipelineConfig
from curation_assets.core.combine import combine_sources
from curation_assets.core.records import empty_rejections
from curation_assets.core.stage_result import StageResult
from curation_assets.defs.inbox import INBOX_TABLE
from curation_assets.defs.load import raw_table
from curation_assets.defs.stage_asset import StageRun, stage_asset
from curation_assets.defs.verify import VERIFIED_KEY

STAGE = "combine"


def definitions(config: PipelineConfig) -> dg.Definitions:
    raw_tables = [raw_table(source) for source in config.sources]
    # Every file ever dropped into the inbox (nothing until the first one arrives).
    inbox_tables = [INBOX_TABLE] if config.inbox is not None else []
    # Verified synthetic batches join the real sources (only when the config has active batches).
    synthetic_tables = [VERIFIED_KEY.path[-1]] if config.catalog().active_batches() else []

    def read(store):
        frames = [store.read_records(table) for table in raw_tables]
        frames += [store.read_records(table, missing_ok=True) for table in inbox_tables]
        frames += [store.read_records(table) for table in synthetic_tables]
        return combine_sources(frames)

    combined = stage_asset(
        config,
        key="combined",
        upstream=raw_tables + inbox_tables + synthetic_tables,
        stage=STAGE,
        description="Every source's records, the inbox files' records and the verified synthetic records in one table.",
        code_version=config.stage_version(config.checks),
        read=read,
        run=lambda records, context, store: StageRun(StageResult(records, empty_rejections(STAGE))),
    )
    return dg.Definitions(assets=[combined])
