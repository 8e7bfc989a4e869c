"""The per-record domain classifier's accuracy on held-out records of known domain, math vs code vs
general, from ../shared/data (and the project's own rule-generated Python exercises for code).

    python benchmarks/domains.py                 # default: 30% held out, seed 0
    python benchmarks/domains.py --held-out 0.5 --seed 1

Labels are what a user would configure per source: GSM8K is math; Self-Instruct's seed tasks about
programming (named below) and the rule-based python_function batch are code; the other seed tasks and
GPTeacher Toolformer are general. The embedder (TF-IDF + SVD) is fitted on the training part only, the
nearest-centroid classifier trained on it, and both judged on the held-out part. Printed: accuracy
overall and per domain, the confusion, records/second of embedding, and the baseline (every record
gets the majority domain) in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curation_assets.core.semantic.domains import accuracy, train_classifier  # noqa: E402
from curation_assets.core.semantic.embed import fit_embedder, record_texts  # noqa: E402
from curation_assets.core.synthetic.rule_tasks import python_function  # noqa: E402

RULE_CODE = 600  # rule-generated Python exercises, the last rows
SHARED = Path(os.environ.get("CURATION_SHARED_DATA", ROOT.parent / "shared" / "data"))
CODE_SEED_TASKS = {"write_comments_in_python", "complete_python_code", "code_todo", "text_to_sql",
                   "python_code_generation", "python_sorting", "code_for_bitcoin_price", "program_for_summation",
                   "javascript_date_and_time", "python_leetcode", "code_syntax_error"}


def labelled_records() -> list[tuple[str, str, str, str]]:
    """(domain, instruction, input, response) for every record."""
    rows = []
    for line in (SHARED / "gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        rows.append(("math", item["question"], "", item["answer"]))
    for line in (SHARED / "self_instruct_seed_tasks.jsonl").read_text(encoding="utf-8").splitlines():
        task = json.loads(line)
        domain = "code" if task["name"] in CODE_SEED_TASKS else "general"
        for instance in task["instances"]:
            rows.append((domain, task["instruction"], instance["input"], instance["output"]))
    for item in json.loads((SHARED / "gpteacher_toolformer.json").read_text(encoding="utf-8")):
        rows.append(("general", item["instruction"], item["input"], item["output"]))
    for item in python_function(RULE_CODE, seed=7):
        rows.append(("code", item.instruction, item.input, item.response))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--held-out", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dimensions", type=int, default=128)
    arguments = parser.parse_args()
    rows = labelled_records()
    rng = np.random.default_rng(arguments.seed)
    held = rng.random(len(rows)) < arguments.held_out
    labels = np.array([row[0] for row in rows], dtype=object)
    texts = record_texts(*zip(*[row[1:] for row in rows]))
    train = [text for text, out in zip(texts, held) if not out]

    started = time.perf_counter()
    embedder = fit_embedder(train, arguments.dimensions, arguments.seed)
    fitted = time.perf_counter()
    embeddings = embedder.embed(texts)
    embedded = time.perf_counter()
    classifier = train_classifier(embeddings[~held], labels[~held])
    result = accuracy(classifier, embeddings[held], labels[held])
    majority = max(set(labels[~held]), key=list(labels[~held]).count)
    baseline = float((labels[held] == majority).mean())

    counts = {domain: int((labels == domain).sum()) for domain in sorted(set(labels))}
    print(f"records: {len(rows):,} {counts}; held out: {int(held.sum()):,} ({arguments.held_out:.0%}, seed {arguments.seed})")
    print(f"embedder: {embedder.fingerprint}, fitted on {embedder.fitted_on:,} texts in {fitted - started:.1f} s; "
          f"embedding {len(texts) / (embedded - fitted):,.0f} records/s")
    print(f"nearest-centroid accuracy on held-out records: {result['accuracy']:.4f}  (per domain {result['per_domain']})")
    print(f"baseline (every record '{majority}'):            {baseline:.4f}")
    human_code = held & (labels == "code") & (np.arange(len(rows)) < len(rows) - RULE_CODE)
    predicted, _ = classifier.predict(embeddings[human_code])
    print(f"code written by people (Self-Instruct's programming tasks), held out: "
          f"{int((predicted == 'code').sum())} of {int(human_code.sum())} classified code")
    print(f"confusion (true → predicted): {json.dumps(result['confusion'], sort_keys=True)}")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
