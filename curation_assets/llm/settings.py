"""Settings of the LLM endpoint and of each request's sampling."""

from __future__ import annotations

from pydantic import Field, field_validator

from curation_assets.core.settings import Strict

class LLMConfig(Strict):
    """Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server).

    Without a ``base_url`` there is no endpoint: batches with an LLM task are inactive (listed, not
    run) and the judge is off, so the graph runs offline on rule-based batches.
    """

    base_url: str | None = None
    model: str = "gpt-4o-mini"
    api_key_env: str | None = Field(
        default="OPENAI_API_KEY", description="The environment variable holding the API key; null for no key."
    )
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_concurrency: int = Field(default=4, ge=1, le=256)
    max_attempts: int = Field(default=5, ge=1)
    backoff_seconds: float = Field(default=1.0, ge=0)
    max_backoff_seconds: float = Field(default=60.0, ge=0)
    max_requests_per_run: int = Field(default=1000, ge=0)
    max_tokens_per_run: int = Field(default=1_000_000, ge=0)

    @field_validator("base_url")
    @classmethod
    def _blank_is_none(cls, base_url: str | None) -> str | None:
        return base_url.strip() or None if base_url is not None else None


class SamplingConfig(Strict):
    """Sampling parameters sent with every request of a batch (and part of the cache key)."""

    temperature: float = Field(default=0.7, ge=0, le=2)
    top_p: float = Field(default=1.0, gt=0, le=1)
    max_tokens: int = Field(default=512, ge=1)
