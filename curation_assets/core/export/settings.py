"""Settings of the export stage."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from curation_assets.core.settings import Strict

class ExportConfig(Strict):
    output_dir: str = "curation_data/exports"
    format: Literal["openai_chat", "sharegpt", "alpaca", "prompt_completion"] = Field(
        default="openai_chat",
        description="openai_chat (messages: TRL conversational, axolotl chat_template), sharegpt "
                    "(conversations from/value), alpaca (instruction/input/output), prompt_completion (TRL); "
                    "every example also carries id (the record id) and source.")
    parquet: bool = Field(
        default=True,
        description="Also write each file as Parquet under data/, with a README.md dataset card whose YAML "
                    "front matter makes the export folder a Hugging Face dataset (load_dataset(folder)).")
    system_prompt: str | None = None
    records_per_file: int = Field(
        default=100_000, ge=1,
        description="Records per exported file (train-00000-of-00003.jsonl, ...): the files depend on this "
                    "and the records only, not on how the warehouse shards the tables.")
