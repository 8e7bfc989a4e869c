"""``curation run``: materialize the whole graph with Dagster's multiprocess executor, then summarize.

It runs the same thing as ``dagster asset materialize --select '*'`` with a persistent Dagster
instance (``$DAGSTER_HOME``, default ``./.dagster``), so the run shows up in ``dagster dev``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from curation_assets.config import CONFIG_ENV, load_config
from curation_assets.resources.sql_files import sql
from curation_assets.resources.warehouse import Warehouse


def _dagster_home() -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or ".dagster").absolute()
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").touch(exist_ok=True)
    return home


def run(config_path: str | None) -> int:
    env = dict(os.environ)
    if config_path:
        env[CONFIG_ENV] = str(Path(config_path).absolute())
    config = load_config(env.get(CONFIG_ENV))
    env["DAGSTER_HOME"] = str(_dagster_home())
    command = [sys.executable, "-m", "dagster", "asset", "materialize", "--select", "*",
               "-m", "curation_assets.definitions"]
    completed = subprocess.run(command, env=env)
    if completed.returncode != 0:
        print("curation: the materialization failed; see the log above", file=sys.stderr)
        return completed.returncode
    summary(config.warehouse_path(), config.output_dir())
    return 0


def summary(warehouse_path: Path, output_dir: Path) -> None:
    counts = Warehouse(warehouse_path).read_frame(sql("stage_row_counts"))
    print(f"\nWarehouse: {warehouse_path}")
    for row in counts.itertuples(index=False):
        print(f"  {row.what:<9} {row.name:<40} {row.row_count:>8}")
    print(f"Exports:   {output_dir}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="curation", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="materialize the whole graph")
    run_parser.add_argument("--config", help=f"pipeline YAML (default: ${CONFIG_ENV}, else the built-in demo)")
    arguments = parser.parse_args(argv)
    if arguments.command == "run":
        return run(arguments.config)
    return 2


if __name__ == "__main__":
    sys.exit(main())
