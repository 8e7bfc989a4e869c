"""Settings of the engine that runs per-shard work."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from curation_assets.core.settings import Strict


class RaySettings(Strict):
    """The Ray cluster that runs shard tasks when ``engine.backend`` is ray."""

    address: str = Field(
        default="",
        description="Empty: start a local Ray cluster for the run (num_cpus, object_store_mb); 'auto': join the "
                    "cluster this machine belongs to (after `ray start`); 'ray://host:10001': a Ray client connection.")
    num_cpus: int = Field(default=0, ge=0, description="CPUs of a local cluster started for the run; 0: every core.")
    object_store_mb: int = Field(default=512, ge=64, description="Object store of a local cluster started for the run (MiB).")
    task_cpus: float = Field(default=1.0, gt=0, description="CPUs Ray reserves for each shard task.")
    max_retries: int = Field(
        default=3, ge=0,
        description="Times a task is run again when its worker process or node dies; a task writes only its own "
                    "shard files, so a rerun replaces them.")


class EngineConfig(Strict):
    """Every record stage runs its shard tasks (judging, signing, applying decisions) on a pool of
    worker processes, or on a Ray cluster."""

    backend: Literal["local", "ray"] = Field(
        default="local",
        description="Where shard tasks run: local worker processes (workers), or Ray tasks on a cluster (ray). "
                    "The tasks are the same functions either way.")
    ray: RaySettings = RaySettings()
    workers: int = Field(default=0, ge=0,
                         description="Worker processes for per-shard work; 0: one per core. With backend ray, 1 "
                                     "still runs the tasks in the step's own process.")
    parallel_min_records: int = Field(
        default=20_000, ge=0,
        description="Smaller tables run in the step's own process: starting workers costs seconds.")
    executor: Literal["auto", "multiprocess", "in_process"] = Field(
        default="in_process",
        description="How `curation run` runs the graph's steps: all in the run's process, one after another "
                    "(in_process: no process start-up per step; a stage's shards still go to the worker pool), "
                    "each in a process of its own (multiprocess: independent steps run in parallel, each one's "
                    "memory freed when it ends, at about 5-10 s of start-up per step), or auto: in_process when "
                    "the source files total less than in_process_max_bytes, else multiprocess. Measured on 2 "
                    "cores, in_process was faster at every size from 10,000 to 1,000,000 records.")
    in_process_max_bytes: int = Field(
        default=64 * 1024 * 1024, ge=0,
        description="auto runs the steps in one process below this many bytes of source files.")

    def runs_in_process(self, source_bytes: int) -> bool:
        if self.executor == "auto":
            return source_bytes < self.in_process_max_bytes
        return self.executor == "in_process"
