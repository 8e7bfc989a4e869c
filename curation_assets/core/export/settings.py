"""Settings of the export stage."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from curation_assets.core.settings import Strict

class ExportConfig(Strict):
    output_dir: str = "curation_data/exports"
    format: Literal["openai_chat", "alpaca"] = "openai_chat"
    system_prompt: str | None = None
    records_per_file: int = Field(
        default=100_000, ge=1,
        description="Records per exported file (train-00000-of-00003.jsonl, ...): the files depend on this "
                    "and the records only, not on how the warehouse shards the tables.")
