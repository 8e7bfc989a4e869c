"""The one Definitions entry point: each defs module's Definitions, built from the pipeline config and
merged, plus what spans them (the jobs, the automation, the resources and the executor).

The config comes from ``$CURATION_CONFIG`` (a YAML file), else the built-in demo config.
"""

from __future__ import annotations

import os

import dagster as dg

from curation_assets.quiet import quiet, silence_api_warnings

if quiet():  # before the assets below are built: building them raises the warnings
    silence_api_warnings()

from curation_assets.step_lines import step_lines
from curation_assets.config import PipelineConfig, load_config
from curation_assets.defs import (
    clean,
    combine,
    decontaminate,
    dedup,
    embeddings,
    export,
    inbox,
    load,
    mix,
    report,
    select,
    split,
    synthetic,
    verify,
)
from curation_assets.defs.automation import automation_sensor, with_refresh_condition
from curation_assets.defs.partitions import arrivals_job
from curation_assets.defs.resources import LLMResource, WarehouseResource
from curation_assets.defs.schedules import DAILY_JOB
from curation_assets.defs.side_tables import side_table_specs

CURATE_JOB = "curate"
# In graph order: where records come from, then the stages they go through, then what reports on them.
DOMAINS = (load, inbox, synthetic, verify, combine, mix, dedup, clean, decontaminate, split, export, report, select,
           embeddings)

# Each step runs in its own process. Forking them from a server that has already imported
# Dagster, pandas, DuckDB, GX and our definitions saves seconds of imports per step. A run whose
# config says ``in_process`` runs every step in its own process instead: ``curation run`` asks for
# it when the input is small (``engine.executor``), where a process per step costs more than a step.
STEP_PROCESSES = {
    "start_method": {
        "forkserver": {
            "preload_modules": ["curation_assets.definitions", "great_expectations", "great_expectations.expectations"]
        }
    }
}


def _executor_config(config: dict) -> dict:
    return {"in_process": {}} if config["in_process"] else {"multiprocess": STEP_PROCESSES}


EXECUTOR = dg.multi_or_in_process_executor.configured(
    _executor_config, name="curation_executor",
    config_schema={"in_process": dg.Field(bool, default_value=False,
                                          description="Run every step in the run's own process, one after another.")},
)


def resources(config: PipelineConfig) -> dict[str, dg.ConfigurableResource]:
    """The warehouse, and the LLM endpoint when one is configured; the API key is read from its
    environment variable (EnvVar) at run time."""
    found = {"warehouse": WarehouseResource.from_config(config)}
    if config.has_llm_endpoint():
        key_env = config.llm.api_key_env
        # A variable that is not set means "no key" (local servers), rather than a failed run.
        api_key = dg.EnvVar(key_env) if key_env and os.environ.get(key_env) else None
        found["llm"] = LLMResource.from_settings(config.llm, api_key=api_key)
    return found


def jobs(config: PipelineConfig, assets: list[dg.AssetsDefinition]) -> list[dg.JobDefinition]:
    """``curate`` (the whole graph), and a job per kind of arrival: an inbox file, a day of batches."""
    found = [dg.define_asset_job(CURATE_JOB, selection=dg.AssetSelection.all().materializable(), description="The whole graph.",
                                 tags={"curation/pipeline": CURATE_JOB})]
    partitioned = [key for asset in assets for key in asset.keys if asset.partitions_def is not None]
    if config.inbox is not None:
        found.append(arrivals_job(inbox.INBOX_JOB, "One inbox file (a partition of raw_inbox) loaded, then "
                                                   "everything downstream refreshed.", partitioned))
    if config.catalog().active_batches():
        found.append(arrivals_job(DAILY_JOB, "New synthetic batch partitions (one day of the daily batches), then "
                                             "everything downstream.", partitioned))
    return found


def build_definitions(config: PipelineConfig) -> dg.Definitions:
    domains = dg.Definitions.merge(*(domain.definitions(config) for domain in DOMAINS))
    assets = [with_refresh_condition(asset).map_asset_specs(lambda spec: owned(spec, config))
              for asset in domains.assets]
    produced = {key.to_user_string() for asset in assets for key in asset.keys}
    return dg.Definitions(
        assets=[*assets, *(owned(spec, config) for spec in side_table_specs(produced, config.has_llm_endpoint(), config.optional_side_tables()))],
        sensors=[*domains.sensors, automation_sensor()],
        schedules=domains.schedules,
        jobs=jobs(config, assets),
        resources=resources(config),
        executor=EXECUTOR,
        loggers={"console": dg.colored_console_logger, "step_lines": step_lines},
    )


def owned(spec: dg.AssetSpec, config: PipelineConfig) -> dg.AssetSpec:
    """``spec`` with the configured owners and tags (``assets`` section), beside its own tags."""
    return spec.replace_attributes(owners=list(config.assets.owners) or spec.owners,
                                   tags={**spec.tags, "curation/pipeline": CURATE_JOB, **config.assets.tags})


defs = build_definitions(load_config())


def curate_job() -> dg.JobDefinition:
    """The whole-graph job, importable by name so Dagster can rebuild it in another process
    (``dg.reconstructable(curate_job)``), e.g. to re-execute a failed run from its failure."""
    return defs.resolve_job_def(CURATE_JOB)


def daily_synthetic_job() -> dg.JobDefinition:
    """The daily schedule's job, importable by name like ``curate_job``."""
    return defs.resolve_job_def(DAILY_JOB)
