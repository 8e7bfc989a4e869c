"""``curation``: the command line (``run``, ``validate``, ``report``, ``sql``).

``curation run`` materializes the whole graph (or a selection), then summarizes. The graph's
partitioned assets (``synthetic_batches``, ``raw_inbox``) share one space of dynamic partitions
(batches, days of daily batches, inbox files), and ``dagster asset materialize --select '*'``
refuses a selection that mixes partitioned and unpartitioned assets without a partition. So this
registers the partitions in the persistent Dagster instance (``$DAGSTER_HOME``, default
``./.dagster``) and then executes the ``curate`` job from this process with a partition range
covering them all: one run, visible in ``dagster dev``. Each step runs in a process of its own
(Dagster's multiprocess executor), or, for a small input, all in this process (``engine.executor``).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from curation_assets.abandoned_runs import fail_abandoned_runs, run_owner_tags
from curation_assets.config import (CONFIG_ENV, DEMO_CONFIG_PATH, OUTPUT_DIR_ENV, SAMPLE_ENV, SHARDS_ENV, WAREHOUSE_ENV, ConfigError,
                                    PipelineConfig, load_config)
from curation_assets.engine.progress import PROGRESS_ENV
from curation_assets.quiet import QUIET_ENV, silence_api_warnings
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


def run(config_path: str | None, verbose: bool = False, sample: int | None = None, select: str | None = None) -> int:
    with run_process_mark():
        return _run(config_path, verbose, sample, select)


def _run(config_path: str | None, verbose: bool, sample: int | None, select: str | None) -> int:
    if config_path:
        os.environ[CONFIG_ENV] = str(Path(config_path).absolute())
    config = load_config(os.environ.get(CONFIG_ENV))
    missing = [f"source '{source.name}': {config.source_path(source)} does not exist" for source in config.sources
               if not config.source_path(source).exists()]
    if missing:  # found before anything runs, rather than as a failed step
        raise ConfigError("; ".join(missing))
    home = _dagster_home()
    if sample is not None:
        home = sample_run_environment(config, home, sample)  # the config's locations now read the sample's
        print(f"curation: a sample run: the first {sample:,} lines or items of each source, into "
              f"{config.warehouse_path().parent} (the main warehouse is not touched)", file=sys.stderr)
    os.environ["DAGSTER_HOME"] = str(home)
    if not verbose:
        os.environ[PROGRESS_ENV] = "1"  # the steps draw progress bars (engine/progress.py)
        os.environ[QUIET_ENV] = "1"  # and load the definitions without Dagster's API warnings (quiet.py)
        silence_api_warnings()
    selection = selected_assets(select) if select else None
    tags = register_partitions(config, home)
    for batch in config.catalog().inactive_batches():
        print(f"curation: batch {batch.name} ({batch.task}) is inactive: it needs an LLM endpoint (llm.base_url)",
              file=sys.stderr)
    in_process = config.engine.runs_in_process(source_bytes(config))
    if not execute_curate_job(home, tags, in_process, verbose, selection):
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


def sample_run_environment(config: PipelineConfig, dagster_home: Path, records: int) -> Path:
    """Point this process (and the steps it starts) at a fresh sample warehouse and export folder, and
    a Dagster instance for samples, reading ``records`` lines or items of each source; the sample's
    Dagster home.
    A sample run starts empty every time: an earlier sample's dedup history must not reject this
    one's records as seen before."""
    import shutil

    root = config.warehouse_path().parent / "sample"
    shutil.rmtree(root, ignore_errors=True)
    sample_home = dagster_home / "sample"  # sample runs are kept apart from the main warehouse's
    sample_home.mkdir(parents=True, exist_ok=True)
    (sample_home / "dagster.yaml").touch()
    os.environ[SAMPLE_ENV] = str(records)
    os.environ[WAREHOUSE_ENV] = str(root / config.warehouse_path().name)
    os.environ[OUTPUT_DIR_ENV] = str(root / "exports")
    shards = config.shards_uri()
    if "://" in shards:  # an object store: a prefix of its own, before the URI's query (?endpoint_override=...)
        address, question, query = shards.partition("?")
        os.environ[SHARDS_ENV] = f"{address.rstrip('/')}/sample{question}{query}"
    else:
        os.environ[SHARDS_ENV] = str(root / "shards")
    return sample_home


def selected_assets(selection: str) -> list:
    """The materializable assets a Dagster selection string names (``key:cleaned+``, ``group:sources``)."""
    import dagster as dg

    from curation_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    try:
        keys = dg.AssetSelection.from_string(selection).resolve(graph)
    except Exception as error:  # noqa: BLE001 - Dagster's parser raises several kinds; the user needs one line
        raise ConfigError(f"--select {selection!r} is not a valid asset selection: {str(error).splitlines()[0]}")
    keys = sorted((key for key in keys if graph.get(key).is_materializable), key=lambda key: key.to_user_string())
    if not keys:
        known = ", ".join(sorted(key.to_user_string() for key in graph.materializable_asset_keys))
        raise ConfigError(f"--select {selection!r} names no asset that a run materializes; the assets: {known}")
    print(f"curation: materializing {len(keys)} selected asset(s): {', '.join(k.to_user_string() for k in keys)}",
          file=sys.stderr)
    return keys


def execute_curate_job(dagster_home: Path, tags: dict[str, str], in_process: bool = False,
                       verbose: bool = True, asset_selection: list | None = None) -> bool:
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
                              run_config=run_config, asset_selection=asset_selection).success


def summary(store: Warehouse, output_dir: Path) -> None:
    counts = store.read_frame(sql("stage_row_counts"))
    print(f"\nWarehouse: {store.path} (record tables: views over the Parquet shards in {store.shards.root_uri})")
    for row in counts.itertuples(index=False):
        print(f"  {row.what:<9} {row.name:<40} {int(row.row_count):>8,}")
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


def validate(config_path: str | None, sample_items: int) -> int:
    """Exit 0 when the config and every input it names are usable, else 2 (one line per problem)."""
    from curation_assets.validate import validate_inputs

    path = Path(config_path or os.environ.get(CONFIG_ENV) or DEMO_CONFIG_PATH).absolute()
    config = load_config(path)
    print(f"config {path}: valid ({len(config.sources)} sources, "
          f"{len(config.synthetic.batches)} synthetic batches)")
    for batch in config.catalog().inactive_batches():
        print(f"  batch '{batch.name}': inactive: its task ({batch.task}) needs an LLM endpoint (llm.base_url)")
    checks = validate_inputs(config, sample_items)
    for check in checks:
        print(f"  {check.what}: {'ok, ' + check.detail if check.problem is None else 'PROBLEM: ' + check.problem}")
    problems = sum(check.problem is not None for check in checks)
    if problems:
        print(f"curation validate: {problems} problem(s) above; nothing was run", file=sys.stderr)
        return CONFIG_ERROR_EXIT
    return 0


def report(config_path: str | None) -> int:
    """The last run of the warehouse: its status, row counts, drop funnel in pipeline order, and mix."""
    config = load_config(config_path or os.environ.get(CONFIG_ENV))
    if not config.warehouse_path().exists():
        print(f"curation report: no warehouse at {config.warehouse_path()} yet (run `curation run` first)",
              file=sys.stderr)
        return RUN_FAILED_EXIT
    last = last_run(_dagster_home())
    if last:
        print(f"Last run: {last}")
    store = config.open_warehouse()
    summary(store, config.output_dir())
    funnel = store.read_frame(sql("rejection_funnel"), {"examples": 0})
    print("Drop funnel (pipeline order):")
    for row in funnel.itertuples(index=False):
        print(f"  {row.stage:<14} {row.reason:<32} {row.records:>8,}")
    if funnel.empty:
        print("  (no record was dropped)")
    return 0


def last_run(dagster_home: Path) -> str:
    """The latest curate run in the instance, in one line ('' when there is none)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_run_records(dg.RunsFilter(job_name=CURATE_JOB), limit=1)
        if not runs:
            return ""
        record = runs[0]
        started = record.start_time
        when = "" if started is None else f", started {datetime.fromtimestamp(started, timezone.utc):%Y-%m-%d %H:%M:%S} UTC"
        return f"{record.dagster_run.run_id} {record.dagster_run.status.value.lower()}{when}"


CONFIG_ERROR_EXIT = 2  # the config or an input is wrong: nothing ran
RUN_FAILED_EXIT = 1  # a step failed (a source, a check): what ran is in the Dagster instance

DESCRIPTION = """\
Curate instruction data into checked training datasets: load the sources, generate and verify
synthetic records, mix, clean, decontaminate, deduplicate, split, export and report. Every
stage's output is a table in a DuckDB warehouse; every dropped record is kept with its reason.

  curation validate                 check the config and its inputs without running
  curation run                      run the whole pipeline (the built-in demo without --config)
  curation run --sample 1000        a quick trial on the first 1,000 records of each source
  curation report                   the last run's row counts, drop funnel and mix
  curation sql "SELECT ..."         query the warehouse
  curation hf-download ID FOLDER    snapshot a Hugging Face dataset for a source (format: hf_disk)

The config is --config, else $CURATION_CONFIG, else the built-in demo. Exit codes: 0 done,
1 a step failed (its line says why), 2 the config or an input is wrong (nothing ran)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="curation", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    config_help = f"pipeline YAML (default: ${CONFIG_ENV}, else the built-in demo)"
    run_parser = commands.add_parser(
        "run", help="run the pipeline and print what each step kept and dropped",
        description="Run the pipeline: every asset of the graph, or the --select'ed ones, in one Dagster run "
                    "(visible in `dagster dev`). Prints one line per step, progress bars for long steps, "
                    "then a summary.")
    run_parser.add_argument("--config", help=config_help)
    run_parser.add_argument("--sample", type=int, metavar="N",
                            help="read only the first N lines or items of each source, into a separate warehouse "
                                 "next to the main one (<warehouse folder>/sample, emptied first)")
    run_parser.add_argument("--select", metavar="SELECTION",
                            help="only these assets, in Dagster's selection syntax: 'key:cleaned+' (cleaned and "
                                 "everything downstream), '+key:mixed', 'group:sources'; the others are read as "
                                 "last published")
    run_parser.add_argument("--verbose", action="store_true",
                            help="Dagster's whole event log and tracebacks instead of a line per step")
    validate_parser = commands.add_parser(
        "validate", help="check the config and every source without running anything",
        description="Check the config, then each source as its load step would (exists, parses, every mapped "
                    "field found) on its first lines, the benchmarks and the inbox folder.")
    validate_parser.add_argument("--config", help=config_help)
    validate_parser.add_argument("--items", type=int, default=1000, metavar="N",
                                 help="lines or items of each source to read (default 1000)")
    report_parser = commands.add_parser("report", help="print the last run's row counts, drop funnel and mix",
                                        description="Print the last run's status, every table's rows, the "
                                                    "drop funnel in pipeline order and the mix against its targets.")
    report_parser.add_argument("--config", help=config_help)
    sql_parser = commands.add_parser("sql", help="answer a SQL query over the warehouse",
                                     description="Answer a SQL query over the warehouse (record tables are views "
                                                 "over their shards, wherever they are stored).")
    sql_parser.add_argument("statement", help="e.g. \"SELECT stage, reason, count(*) FROM rejections GROUP BY ALL\"")
    sql_parser.add_argument("--config", help=config_help)
    hub_parser = commands.add_parser(
        "hf-download", help="snapshot a Hugging Face dataset into a folder a source reads (format: hf_disk)",
        description="Download a Hugging Face dataset (a Hub id, online; or a local folder of data files) once, "
                    "into FOLDER as save_to_disk writes it; a source then reads it offline with format: hf_disk "
                    "(and split: for a dataset of several splits). Needs pip install 'curation[hf]'.")
    hub_parser.add_argument("dataset", help="e.g. HuggingFaceH4/ultrachat_200k")
    hub_parser.add_argument("folder", help="where the snapshot goes (replaced whole)")
    hub_parser.add_argument("--split", help="one split only, e.g. train_sft")
    hub_parser.add_argument("--name", help="the dataset's configuration, when it has several")
    hub_parser.add_argument("--revision", help="a branch, tag or commit, to pin the snapshot")
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "run":
            if arguments.sample is not None and arguments.sample < 1:
                raise ConfigError("--sample takes a positive number of records")
            return run(arguments.config, arguments.verbose, arguments.sample, arguments.select)
        if arguments.command == "validate":
            return validate(arguments.config, arguments.items)
        if arguments.command == "report":
            return report(arguments.config)
        if arguments.command == "sql":
            return query(arguments.config, arguments.statement)
        if arguments.command == "hf-download":
            return hf_download(arguments.dataset, arguments.folder, arguments.split, arguments.name, arguments.revision)
    except ConfigError as error:
        if getattr(arguments, "verbose", False):
            raise
        print(f"curation: {error}", file=sys.stderr)
        return CONFIG_ERROR_EXIT
    return 2


def hf_download(dataset: str, folder: str, split: str | None, name: str | None, revision: str | None) -> int:
    from curation_assets.hub import HubError, download_dataset

    try:
        rows = download_dataset(dataset, Path(folder), split, name, revision)
    except HubError as error:
        raise ConfigError(str(error)) from error
    print(f"{dataset} → {folder}: " + ", ".join(f"{split_name} {count:,} rows" for split_name, count in rows.items()))
    return 0


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("curation")
    except PackageNotFoundError:
        return "unknown (not installed)"


if __name__ == "__main__":
    sys.exit(main())
