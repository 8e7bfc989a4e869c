"""Every Dagster resource of the graph: the DuckDB warehouse and the LLM endpoint."""

from __future__ import annotations

from typing import Any, Callable

import dagster as dg
import openai
from pydantic import PrivateAttr

from curation_assets.config import PipelineConfig
from curation_assets.engine.pool import using_engine
from curation_assets.engine.process_ties import end_with_run
from curation_assets.engine.settings import EngineConfig
from curation_assets.llm.cache import LLMCache
from curation_assets.llm.client import Budget, LLMClient, RetryPolicy
from curation_assets.llm.settings import LLMConfig
from curation_assets.storage.shards import ShardSize
from curation_assets.storage.warehouse import Warehouse

# Local servers (vLLM, Ollama, llama.cpp) accept any key; the client insists on one.
_NO_KEY = "no-key-configured"

# A step that talks to a model endpoint is retried whole when the endpoint stays down longer than
# the client's own per-request retries cover; finished requests come from the cache, so a retry
# re-pays nothing.
LLM_STEP_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)


def step_resources(uses_llm: bool) -> dict:
    """The asset decorator's resource keys and retry policy for a step that may talk to the model endpoint."""
    return {"required_resource_keys": {"warehouse", "llm"} if uses_llm else {"warehouse"},
            "retry_policy": LLM_STEP_RETRY if uses_llm else None}


class EngineResource(dg.ConfigurableResource):
    """Where shard tasks run (``engine``): set up once per run and process, so a Ray cluster is
    connected (or a local one started) once, and left when the run's work in this process ends."""

    settings_json: str
    _scope: Any = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: EngineConfig) -> "EngineResource":
        return cls(settings_json=settings.model_dump_json())

    @property
    def settings(self) -> EngineConfig:
        return EngineConfig.model_validate_json(self.settings_json)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        end_with_run()  # a step process of a curation run ends with it (process_ties.py)
        self._scope = using_engine(self.settings)
        self._scope.__enter__()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._scope is not None:
            self._scope.__exit__(None, None, None)
            self._scope = None


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file every asset reads from and publishes to, and its record tables' shards,
    which the engine's tasks read and write."""

    path: str
    shards: str
    shard_records: int
    shard_bytes: int
    engine: EngineResource
    memory_limit: str | None = None

    @classmethod
    def from_config(cls, config: PipelineConfig) -> "WarehouseResource":
        settings = config.warehouse
        return cls(path=str(config.warehouse_path()), shards=config.shards_uri(),
                   shard_records=settings.shard_records, shard_bytes=settings.shard_bytes,
                   engine=EngineResource.from_settings(config.engine), memory_limit=settings.memory_limit)

    def get(self) -> Warehouse:
        return Warehouse(self.path, self.shards, ShardSize(self.shard_records, self.shard_bytes), self.memory_limit)


class LLMResource(dg.ConfigurableResource):
    """OpenAI, vLLM, Ollama or llama.cpp server; the API key comes from an environment variable (EnvVar).

    The endpoint's settings travel as ``LLMConfig`` JSON so that the config model stays the one
    place its fields, defaults and bounds are declared.
    """

    settings_json: str
    api_key: str | None = None

    @classmethod
    def from_settings(cls, settings: LLMConfig, api_key: str | dg.EnvVar | None = None) -> "LLMResource":
        if settings.base_url is None:
            raise ValueError("an LLM resource needs an endpoint (llm.base_url)")
        return cls(settings_json=settings.model_dump_json(), api_key=api_key)

    @property
    def settings(self) -> LLMConfig:
        return LLMConfig.model_validate_json(self.settings_json)

    def client(self, warehouse: Warehouse, run_id: str, progress: Callable[[str], None] | None = None) -> LLMClient:
        """A client whose cache is the warehouse and whose budget counts what this run already spent;
        ``progress`` (e.g. the step's log) hears how many requests have been answered."""
        settings = self.settings
        cache = LLMCache(warehouse, run_id)
        spent_requests, spent_tokens = cache.spent_in_run()
        return LLMClient(
            client=openai.OpenAI(base_url=settings.base_url, api_key=self.api_key or _NO_KEY,
                                 timeout=settings.timeout_seconds, max_retries=0),
            cache=cache,
            budget=Budget(settings.max_requests_per_run, settings.max_tokens_per_run, spent_requests, spent_tokens),
            retry=RetryPolicy(settings.max_attempts, settings.backoff_seconds, settings.max_backoff_seconds),
            max_concurrency=settings.max_concurrency,
            progress=progress,
        )
