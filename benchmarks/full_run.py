"""Wall time, CPU, peak memory, step durations and rows per stage of a full `curation run` on a config.

    python benchmarks/full_run.py [--config examples/shared-data.yaml] [--keep]

It runs the README's main command in a fresh temporary folder (fresh warehouse, fresh Dagster
instance), so the numbers include Dagster's multiprocess executor start-up, every check and the
exports. Printed (see run_measure.py for how each is taken): wall time and records/s, CPU-seconds
of the whole process tree, peak RSS of the largest single process (what decides whether a machine
can run a step) and of the whole tree at one instant, both sampled every 0.2 s, the load average at
start and end, every step's duration and the slowest three; then the rows of every warehouse
table and the rejections per stage:reason.
"""

import argparse
import sys
from pathlib import Path

import duckdb

from run_measure import fresh_folder, print_failure, print_measurement, run_curation

REPO_ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(REPO_ROOT / "examples" / "shared-data.yaml"))
    parser.add_argument("--keep", action="store_true", help="leave the folder (warehouse, exports, Dagster home, log)")
    arguments = parser.parse_args()
    config = Path(arguments.config).absolute()

    with fresh_folder(arguments.keep) as folder:
        measurement = run_curation(config, folder)
        if measurement.returncode != 0:
            print_failure(measurement)
            return measurement.returncode
        tables, rejected, records_in = read_warehouse(folder / "warehouse.duckdb")
        print(f"config:            {config}")
        print(f"records loaded:    {records_in}")
        print_measurement(measurement, records_in)
        print("rows per table:")
        for name, rows in tables:
            print(f"  {name:<28} {rows:>8}")
        print("rejections:")
        for stage, reason, count in rejected:
            print(f"  {stage + ':' + reason:<28} {count:>8}")
    return 0


def read_warehouse(path: Path) -> tuple[list, list, int]:
    connection = duckdb.connect(str(path), read_only=True)
    try:
        tables = connection.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name"
        ).fetchall()
        rejected = connection.execute(
            "SELECT stage, reason, count(*) FROM rejections GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        records_in = connection.execute("SELECT count(*) FROM main.combined").fetchone()[0]
    finally:
        connection.close()
    return tables, rejected, records_in


if __name__ == "__main__":
    sys.exit(main())
