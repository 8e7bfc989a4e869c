"""How many records of the public datasets any PII rule would alter (target for GSM8K: 0).

    python benchmarks/pii_false_positives.py

Runs every PII detector (the default configuration) over every text field of GSM8K (7,473 math
problems: numbers everywhere, no PII), GPTeacher Toolformer and the Self-Instruct seed tasks, and
prints per dataset the records altered and a few of the finds.
"""

import json
import os
import sys
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from curation_assets.core.clean.pii import PII_TYPES, PiiScanner  # noqa: E402

SHARED_DATA = Path(os.environ.get("CURATION_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")


def datasets() -> dict[str, list[list[str]]]:
    gsm = [json.loads(line) for line in (SHARED_DATA / "gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()]
    tool = json.loads((SHARED_DATA / "gpteacher_toolformer.json").read_text(encoding="utf-8"))
    seeds = [json.loads(line) for line in (SHARED_DATA / "self_instruct_seed_tasks.jsonl").read_text().splitlines()]
    return {
        "gsm8k_train": [[r["question"], r["answer"]] for r in gsm],
        "gpteacher_toolformer": [[r["instruction"], r["input"], r["output"]] for r in tool],
        "self_instruct_seed_tasks": [[r["instruction"], i["input"], i["output"]] for r in seeds for i in r["instances"]],
    }


def main() -> int:
    scanner = PiiScanner(PII_TYPES)
    for name, records in datasets().items():
        altered, types, shown = 0, Counter(), []
        for record in records:
            finds = [(text[f.start:f.end], f.type) for text in record for f in scanner.finds(text)]
            if finds:
                altered += 1
                types.update(kind for _, kind in finds)
                shown.extend(finds[: 3 - len(shown)])
        print(f"{name:<26} {altered:>5} of {len(records):>5} records altered  {dict(types)}  e.g. {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
