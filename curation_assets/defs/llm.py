"""The LLM endpoint as a Dagster resource: any OpenAI-compatible chat API."""

from typing import Callable

import dagster as dg
import openai

from curation_assets.llm.cache import LLMCache
from curation_assets.llm.client import Budget, LLMClient, RetryPolicy
from curation_assets.storage.warehouse import Warehouse

# Local servers (vLLM, Ollama, llama.cpp) accept any key; the client insists on one.
_NO_KEY = "no-key-configured"


class LLMResource(dg.ConfigurableResource):
    """OpenAI, vLLM, Ollama or llama.cpp server; the API key comes from an environment variable (EnvVar)."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout_seconds: float = 60.0
    max_concurrency: int = 4
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    max_requests_per_run: int = 1000
    max_tokens_per_run: int = 1_000_000

    def client(self, warehouse: Warehouse, run_id: str, progress: Callable[[str], None] | None = None) -> LLMClient:
        """A client whose cache is the warehouse and whose budget counts what this run already spent;
        ``progress`` (e.g. the step's log) hears how many requests have been answered."""
        cache = LLMCache(warehouse, run_id)
        spent_requests, spent_tokens = cache.spent_in_run()
        return LLMClient(
            client=openai.OpenAI(base_url=self.base_url, api_key=self.api_key or _NO_KEY,
                                 timeout=self.timeout_seconds, max_retries=0),
            cache=cache,
            budget=Budget(self.max_requests_per_run, self.max_tokens_per_run, spent_requests, spent_tokens),
            retry=RetryPolicy(self.max_attempts, self.backoff_seconds, self.max_backoff_seconds),
            max_concurrency=self.max_concurrency,
            progress=progress,
        )


# A step that talks to a model endpoint is retried whole when the endpoint stays down longer than
# the client's own per-request retries cover; finished requests come from the cache, so a retry
# re-pays nothing.
LLM_STEP_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)
