"""Bounds the Great Expectations suites enforce."""

from __future__ import annotations

from pydantic import Field

from curation_assets.core.settings import Strict

class ChecksConfig(Strict):
    """Bounds the Great Expectations suites enforce on every record table."""

    max_text_chars: int = Field(default=100_000, ge=1)
