"""The one Definitions entry point: the curation graph built from the pipeline config.

The config comes from ``$CURATION_CONFIG`` (a YAML file), else the built-in demo config.
"""

from __future__ import annotations

import os

import dagster as dg

from curation_assets.config import PipelineConfig, load_config
from curation_assets.defs.decontaminate import decontaminate_assets
from curation_assets.defs.automation import automation_sensor, with_refresh_condition
from curation_assets.defs.export import export_assets
from curation_assets.defs.inbox import INBOX_JOB, inbox_assets, inbox_sensor
from curation_assets.defs.llm import LLMResource
from curation_assets.defs.mix import mixing_assets
from curation_assets.defs.report import report_assets
from curation_assets.defs.resources import WarehouseResource
from curation_assets.defs.partitions import arrivals_job
from curation_assets.defs.schedules import DAILY_JOB, daily_schedule
from curation_assets.defs.load import raw_asset
from curation_assets.defs.split import split_assets
from curation_assets.defs.stages import stage_assets
from curation_assets.defs.synthetic import synthetic_assets
from curation_assets.defs.verify import verification_assets

CURATE_JOB = "curate"

# Each step runs in its own process. Forking them from a server that has already imported
# Dagster, pandas, DuckDB, GX and our definitions saves seconds of imports per step.
EXECUTOR = dg.multiprocess_executor.configured(
    {
        "start_method": {
            "forkserver": {
                "preload_modules": ["curation_assets.definitions", "great_expectations", "great_expectations.expectations"]
            }
        }
    }
)


def llm_resource(config: PipelineConfig) -> LLMResource | None:
    """The endpoint from the config; the API key is read from its environment variable (EnvVar) at run time."""
    if not config.has_llm_endpoint():
        return None
    settings = config.llm
    # A variable that is not set means "no key" (local servers), rather than a failed run.
    api_key = dg.EnvVar(settings.api_key_env) if settings.api_key_env and os.environ.get(settings.api_key_env) else None
    return LLMResource(
        base_url=settings.base_url, model=settings.model, api_key=api_key,
        timeout_seconds=settings.timeout_seconds, max_concurrency=settings.max_concurrency,
        max_attempts=settings.max_attempts, backoff_seconds=settings.backoff_seconds,
        max_backoff_seconds=settings.max_backoff_seconds, max_requests_per_run=settings.max_requests_per_run,
        max_tokens_per_run=settings.max_tokens_per_run,
    )


def build_definitions(config: PipelineConfig) -> dg.Definitions:
    synthetic = synthetic_assets(config)
    assets = [
        *(raw_asset(config, source) for source in config.sources),
        *inbox_assets(config),
        *(item for item in synthetic if isinstance(item, dg.AssetsDefinition)),
        *verification_assets(config),
        *stage_assets(config),
        *mixing_assets(config),
        *decontaminate_assets(config),
        *split_assets(config),
        *export_assets(config),
        *report_assets(config),
    ]
    resources = {"warehouse": WarehouseResource.from_config(config)}
    if (llm := llm_resource(config)) is not None:
        resources["llm"] = llm
    jobs = [dg.define_asset_job(CURATE_JOB, selection=dg.AssetSelection.all(), description="The whole graph.",
                                tags={"curation/pipeline": CURATE_JOB})]
    sensors = [*(item for item in synthetic if isinstance(item, dg.SensorDefinition)), automation_sensor()]
    schedules = []
    partitioned = [key for asset in assets for key in asset.keys if asset.partitions_def is not None]
    if config.inbox is not None:
        jobs.append(arrivals_job(INBOX_JOB, "One inbox file (a partition of raw_inbox) loaded, then everything "
                                            "downstream refreshed.", partitioned))
        sensors.append(inbox_sensor(config))
    if config.active_batches():
        jobs.append(arrivals_job(DAILY_JOB, "New synthetic batch partitions (one day of the daily batches), then "
                                            "everything downstream.", partitioned))
    if config.daily_batches():
        schedules.append(daily_schedule(config))
    return dg.Definitions(
        assets=[with_refresh_condition(asset) for asset in assets],
        sensors=sensors,
        schedules=schedules,
        jobs=jobs,
        resources=resources,
        executor=EXECUTOR,
    )


defs = build_definitions(load_config())


def curate_job() -> dg.JobDefinition:
    """The whole-graph job, importable by name so Dagster can rebuild it in another process
    (``dg.reconstructable(curate_job)``), e.g. to re-execute a failed run from its failure."""
    return defs.resolve_job_def(CURATE_JOB)


def daily_synthetic_job() -> dg.JobDefinition:
    """The daily schedule's job, importable by name like ``curate_job``."""
    return defs.resolve_job_def(DAILY_JOB)
