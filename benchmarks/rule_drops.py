"""Which records of the public datasets the cleaning rules drop, per rule, with every example.

    python benchmarks/rule_drops.py [--config examples/shared-data.yaml] [--examples 100]

The three datasets in ../shared/data are legitimate instruction data (human-written GSM8K
solutions, Self-Instruct seed tasks, GPTeacher tool-use answers), so each drop here is either a
real defect in them or a rule that is too eager: read them. Runs the clean stage's core on each
source as loaded by the config (no warehouse, no Dagster).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from curation_assets.config import load_config  # noqa: E402
from curation_assets.core.clean.stage import CleanPlan, clean_records  # noqa: E402
from curation_assets.core.load.readers import load_source  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(REPO_ROOT / "examples" / "shared-data.yaml"))
    parser.add_argument("--examples", type=int, default=100, help="examples printed per rule and source")
    arguments = parser.parse_args()
    config = load_config(Path(arguments.config))
    plan = CleanPlan.from_config(config)
    total: Counter = Counter()
    for source in config.sources:
        records = load_source(source, config.resolve(source.path)).records
        result = clean_records(records, plan)
        rejected = result.rejected
        counts = Counter(rejected["reason"])
        total.update(counts)
        print(f"\n== {source.name}: {len(records):,} records, {len(rejected):,} dropped "
              f"({100 * len(rejected) / max(len(records), 1):.2f}%) ==")
        for reason, count in counts.most_common():
            print(f"\n-- {reason}: {count}")
            for row in rejected[rejected["reason"] == reason].head(arguments.examples).itertuples():
                text = " ".join(f"{row.instruction} || {row.response}".split())
                print(f"   [{row.source_position}] {row.detail}\n       {text[:300]}")
    print(f"\nall sources: {dict(total.most_common())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
