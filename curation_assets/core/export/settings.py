"""Settings of the export stage."""

from __future__ import annotations

from typing import Literal

from curation_assets.core.settings import Strict

class ExportConfig(Strict):
    output_dir: str = "curation_data/exports"
    format: Literal["openai_chat", "alpaca"] = "openai_chat"
    system_prompt: str | None = None
