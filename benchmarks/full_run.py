"""Wall time, peak memory and rows per stage of a full `curation run` on a config.

    python benchmarks/full_run.py [--config examples/shared-data.yaml]

It runs the README's main command in a fresh temporary folder (fresh warehouse, fresh Dagster
instance), so the numbers include Dagster's multiprocess executor start-up, every check and the
exports. Peak memory is the largest resident set of any process of the run (ru_maxrss of the
children), which is what decides whether a machine can run it.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(REPO_ROOT / "examples" / "shared-data.yaml"))
    arguments = parser.parse_args()
    config = Path(arguments.config).absolute()

    with tempfile.TemporaryDirectory(prefix="curation-bench-") as folder:
        env = {**os.environ, "DAGSTER_HOME": str(Path(folder) / "dagster_home")}
        for name in ("CURATION_WAREHOUSE", "CURATION_OUTPUT_DIR"):
            env.pop(name, None)
        env["CURATION_WAREHOUSE"] = str(Path(folder) / "warehouse.duckdb")
        env["CURATION_OUTPUT_DIR"] = str(Path(folder) / "exports")
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "curation_assets.cli", "run", "--config", str(config)],
            cwd=folder, env=env, capture_output=True, text=True,
        )
        wall = time.perf_counter() - started
        if completed.returncode != 0:
            print(completed.stdout[-3000:], completed.stderr[-3000:], sep="\n")
            return completed.returncode
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        connection = duckdb.connect(env["CURATION_WAREHOUSE"], read_only=True)
        tables = connection.execute(
            "SELECT table_name, estimated_size FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name"
        ).fetchall()
        rejected = connection.execute(
            "SELECT stage, reason, count(*) FROM rejections GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        records_in = connection.execute("SELECT count(*) FROM main.combined").fetchone()[0]
        connection.close()

    print(f"config:            {config}")
    print(f"records loaded:    {records_in}")
    print(f"wall time:         {wall:.1f} s  ({records_in / wall:.0f} records/s end to end, incl. Dagster start-up)")
    print(f"peak memory:       {peak_mib:.0f} MiB (largest process)")
    print("rows per table:")
    for name, rows in tables:
        print(f"  {name:<28} {rows:>8}")
    print("rejections:")
    for stage, reason, count in rejected:
        print(f"  {stage + ':' + reason:<28} {count:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
