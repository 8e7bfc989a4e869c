"""``curation run``: materialize the whole graph, then summarize.

The graph's partitioned assets (``synthetic_batches``, ``raw_inbox``) share one space of dynamic
partitions (batches, days of daily batches, inbox files), and ``dagster asset materialize --select
'*'`` refuses a selection that mixes partitioned and unpartitioned assets without a partition. So
this registers the partitions in the persistent Dagster instance (``$DAGSTER_HOME``, default
``./.dagster``) and then executes the ``curate`` job (as ``dagster job execute -j curate`` would, from
this process) with a partition range covering them all: one run, the whole graph, visible in
``dagster dev``. Each step runs in a process of its own (Dagster's multiprocess executor), or, for
a small input, all in this process (``engine.executor``).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from curation_assets.abandoned_runs import fail_abandoned_runs, run_owner_tags
from curation_assets.config import CONFIG_ENV, ConfigError, PipelineConfig, load_config
from curation_assets.engine.process_ties import run_process_mark
from curation_assets.storage.sql_files import sql
from curation_assets.storage.warehouse import Warehouse

CURATE_JOB = "curate"  # curation_assets.definitions.CURATE_JOB, without importing Dagster up front


def _dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or ".dagster").absolute()
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").touch(exist_ok=True)
    return home


def register_partitions(config: PipelineConfig, dagster_home: Path) -> dict[str, str]:
    """Sync the batches into the instance; the run tags that make one run cover all of them."""
    import dagster as dg

    from curation_assets.defs.synthetic import register_batches

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        return register_batches(instance, config)


def run(config_path: str | None, verbose: bool = False) -> int:
    with run_process_mark():
        return _run(config_path, verbose)


def _run(config_path: str | None, verbose: bool) -> int:
    if config_path:
        os.environ[CONFIG_ENV] = str(Path(config_path).absolute())
    config = load_config(os.environ.get(CONFIG_ENV))
    missing = [f"source '{source.name}': {config.source_path(source)} does not exist" for source in config.sources
               if not config.source_path(source).exists()]
    if missing:  # found before anything runs, rather than as a failed step
        raise ConfigError("; ".join(missing))
    home = _dagster_home()
    os.environ["DAGSTER_HOME"] = str(home)
    tags = register_partitions(config, home)
    for batch in config.catalog().inactive_batches():
        print(f"curation: batch {batch.name} ({batch.task}) is inactive: it needs an LLM endpoint (llm.base_url)")
    in_process = config.engine.runs_in_process(source_bytes(config))
    if not verbose:  # warnings about Dagster's own APIs, on every run, that a user cannot act on
        import dagster as dg

        for category in (dg.BetaWarning, dg.PreviewWarning, dg.SupersessionWarning):
            warnings.filterwarnings("ignore", category=category)
    if not execute_curate_job(home, tags, in_process, verbose):
        print("curation: the run failed (the FAILED step above says why; --verbose shows Dagster's whole log)",
              file=sys.stderr)
        return RUN_FAILED_EXIT
    summary(config.open_warehouse(), config.output_dir())
    return 0


def source_bytes(config: PipelineConfig) -> int:
    """The size of the configured source files (a folder counts its files): what sizes the run."""
    total = 0
    for source in config.sources:
        path = config.source_path(source)
        files = [path] if path.is_file() else path.rglob("*") if path.is_dir() else []
        total += sum(file.stat().st_size for file in files if file.is_file())
    return total


def execute_curate_job(dagster_home: Path, tags: dict[str, str], in_process: bool = False,
                       verbose: bool = True) -> bool:
    """The ``curate`` job, run from this process (as ``dagster job execute`` would, without a second
    interpreter importing Dagster and the definitions again: seconds on every run). Its steps run in
    the executor's processes, which rebuild the job by importing ``curation_assets.definitions``, or,
    ``in_process``, here one after another."""
    import dagster as dg

    from curation_assets.definitions import curate_job

    # Quiet by default: one line per step (step_lines.py), failures included, and not Dagster's log.
    run_config = {"execution": {"config": {"in_process": in_process}},
                  "loggers": {"console": {"config": {"log_level": "DEBUG" if verbose else "CRITICAL"}},
                              "step_lines": {"config": {"enabled": not verbose}}}}
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for run_id in fail_abandoned_runs(instance):
            print(f"curation: run {run_id} was left started by a curation process that is gone; marked failed",
                  file=sys.stderr)
        return dg.execute_job(dg.reconstructable(curate_job), instance, tags={**tags, **run_owner_tags()},
                              run_config=run_config).success


def summary(store: Warehouse, output_dir: Path) -> None:
    counts = store.read_frame(sql("stage_row_counts"))
    print(f"\nWarehouse: {store.path} (record tables: views over the Parquet shards in {store.shards.root_uri})")
    for row in counts.itertuples(index=False):
        print(f"  {row.what:<9} {row.name:<40} {row.row_count:>8}")
    if store.read_frame(sql("table_exists"), {"table": "mix_report"})["present"].iloc[0]:
        mix = store.read_frame(sql("read_mix_report"))
        print("Mix (achieved vs target share):")
        for row in mix.itertuples(index=False):
            target = "-" if row.target_share != row.target_share or row.target_share is None else f"{row.target_share:.3f}"
            print(f"  {row.domain:<16} achieved {row.achieved_share:.3f}  target {target:>5}  "
                  f"real {row.real_records:>6}  synthetic {row.synthetic_admitted:>6} of {row.synthetic_available}")
    print(f"Exports:   {output_dir}")


def query(config_path: str | None, statement: str) -> int:
    """Print the answer to ``statement`` over the warehouse, which reads the record tables' shards
    wherever they are (an object store too, where the duckdb CLI would need the httpfs extension)."""
    import duckdb

    config = load_config(config_path or os.environ.get(CONFIG_ENV))
    try:
        answer = config.open_warehouse().read_frame(statement)
    except duckdb.Error as error:
        print(f"curation sql: {error}", file=sys.stderr)
        return 1
    print(answer.to_string(index=False, max_rows=200))
    return 0


CONFIG_ERROR_EXIT = 2  # the config is wrong: nothing ran
RUN_FAILED_EXIT = 1  # a step failed (a source, a check): what ran is in the Dagster instance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="curation", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="materialize the whole graph")
    run_parser.add_argument("--config", help=f"pipeline YAML (default: ${CONFIG_ENV}, else the built-in demo)")
    run_parser.add_argument("--verbose", action="store_true", help="Dagster's whole event log instead of a line per step")
    sql_parser = commands.add_parser("sql", help="answer a SQL query over the warehouse (any shard store)")
    sql_parser.add_argument("statement", help="e.g. \"SELECT stage, reason, count(*) FROM rejections GROUP BY ALL\"")
    sql_parser.add_argument("--config", help=f"pipeline YAML (default: ${CONFIG_ENV}, else the built-in demo)")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "run":
            return run(arguments.config, arguments.verbose)
        if arguments.command == "sql":
            return query(arguments.config, arguments.statement)
    except ConfigError as error:
        if getattr(arguments, "verbose", False):
            raise
        print(f"curation: {error}", file=sys.stderr)
        return CONFIG_ERROR_EXIT
    return 2


if __name__ == "__main__":
    sys.exit(main())
