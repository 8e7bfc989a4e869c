"""Settings of the engine that runs per-shard work."""

from __future__ import annotations

from pydantic import Field

from curation_assets.core.settings import Strict


class EngineConfig(Strict):
    """Every record stage runs its shard tasks (judging, signing, applying decisions) on a pool of
    worker processes."""

    workers: int = Field(default=0, ge=0, description="Worker processes for per-shard work; 0: one per core.")
    parallel_min_records: int = Field(
        default=20_000, ge=0,
        description="Smaller tables run in the step's own process: starting workers costs seconds.")
