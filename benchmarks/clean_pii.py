"""Throughput of cleaning + PII: MB/s per rule, in total on 2 cores, and PII against a naive baseline.

    python benchmarks/clean_pii.py [--records 1000000] [--sample 50000] [--workers 2] [--full-baseline]

The corpus is built from the public datasets in ../shared/data (GSM8K, GPTeacher Toolformer,
Self-Instruct): each record's instruction and response are a few real texts joined, about 1 KB a
record, so 1M records are about 1 GB. 2% carry planted PII (the planted-PII generator of the
tests), 1% HTML, 1% mojibake, 1% Markdown. Deterministic (seeded).

Printed, all measured in this run:
- per step of the cleaning stage (rewrite or rule), on the first --sample records, one core: MB/s
  of the step alone over the batch's text (every field), each step judging the whole batch;
- PII on the first --sample records, one core: a straightforward baseline (one textbook regex per
  type, ``re.sub`` over every text), our precise detectors on every text, and the fast path
  (Hyperscan prefilter scanning the batch at once, as the stage does, precise detectors only where
  it fires), with the ratios;
- PII (fast path; with --full-baseline also the baseline) and the whole cleaning stage on all
  --records records with --workers processes (the compute of the stage: no warehouse I/O);
- peak memory (largest resident set of this process and its workers).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "curation_tests"))

import pandas as pd  # noqa: E402

from curation_assets.core.clean.settings import CleanConfig  # noqa: E402
from curation_assets.core.clean.stage import CleanPlan, clean_records  # noqa: E402
from curation_assets.core.clean.pii import PII_TYPES, PiiScanner, redact  # noqa: E402
from curation_assets.core.records import as_records  # noqa: E402
from curation_assets.core.rules import Rewrite  # noqa: E402
from curation_assets.engine.pool import map_tasks  # noqa: E402
from planted_pii import planted_pii_set  # noqa: E402

SHARED_DATA = Path(os.environ.get("CURATION_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
SEED = 7

# The straightforward baseline: one textbook regex per type, applied to every text.
BASELINE_PATTERNS = {
    "EMAIL": r"[\w.+-]+@[\w-]+\.[\w.-]+",
    "PHONE": r"\+?\d[\d\s().-]{7,}\d",
    "CREDIT_CARD": r"\b(?:\d[ -]?){13,19}\b",
    "SSN": r"\b\d{3}-\d{2}-\d{4}\b",
    "IP_ADDRESS": r"\b\d{1,3}(?:\.\d{1,3}){3}\b",
    "IBAN": r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b",
    "CREDENTIALS": r"\w+://[^\s:@/]+:[^\s@/]+@",
    "API_KEY": r"\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_\w{36}|sk-[\w-]{20,}|xox[bp]-[\w-]+|AIza[\w-]{35})\b",
    "PRIVATE_KEY": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "SECRET": r"\b[A-Za-z0-9+/]{32,}\b",
}

CORPUS: list[tuple[str, str, str]] = []  # (instruction, input, response); module-level so forked workers share it


def build_corpus(count: int) -> list[tuple[str, str, str]]:
    gsm = [json.loads(line) for line in (SHARED_DATA / "gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()]
    tool = json.loads((SHARED_DATA / "gpteacher_toolformer.json").read_text(encoding="utf-8"))
    seeds = [json.loads(line) for line in (SHARED_DATA / "self_instruct_seed_tasks.jsonl").read_text().splitlines()]
    questions = [r["question"] for r in gsm] + [r["instruction"] for r in tool] + [r["instruction"] for r in seeds]
    answers = [r["answer"] for r in gsm] + [r["output"] for r in tool] + [i["output"] for r in seeds for i in r["instances"]]
    pii_values = [text for _, text, _ in planted_pii_set(count_per_type=60)]
    rng = random.Random(SEED)
    corpus = []
    for index in range(count):
        instruction = rng.choice(questions)
        response = " ".join(rng.choice(answers) for _ in range(3))
        while len(response) < 750:
            response += "\n" + rng.choice(answers)
        roll = index % 100
        if roll < 2:
            response = response + "\n" + rng.choice(pii_values)
        elif roll == 2:
            response = f"<p>{response}</p><ul><li>{rng.choice(answers)}</li></ul><table><tr><td>a</td><td>1</td></tr></table>"
        elif roll == 3:
            response = response.replace("'", "\u00e2\u20ac\u2122") + " Caf\u00c3\u00a9."
        elif roll == 4:
            response = f"## Answer\n\n**{instruction[:40]}**\n\n```python\nprint(1)\n```\n\n* {response}"
        corpus.append((instruction, "", response))
    return corpus


def megabytes(texts) -> float:
    return sum(len(text.encode("utf-8")) for text in texts) / 1e6


def timed(function, texts) -> float:
    started = time.perf_counter()
    for text in texts:
        function(text)
    return time.perf_counter() - started


def records_frame(corpus: list[tuple[str, str, str]], start: int = 0) -> pd.DataFrame:
    """The corpus as the clean stage's input: one record per (instruction, input, response)."""
    lineage = json.dumps({"source": "bench"})
    return as_records(pd.DataFrame({
        "record_id": [f"{start + index:020x}" for index in range(len(corpus))], "source": "bench",
        "source_position": range(start, start + len(corpus)), "instruction": [record[0] for record in corpus],
        "input": [record[1] for record in corpus], "response": [record[2] for record in corpus], "kind": "real",
        "lineage": lineage}))


def time_steps(plan: CleanPlan, batch: pd.DataFrame) -> dict[str, float]:
    """Seconds each step of the stage takes over the whole batch."""
    seconds = {}
    for step in plan.steps:
        started = time.perf_counter()
        step.rewrite(batch) if isinstance(step, Rewrite) else step.judge(batch)
        seconds[step.name] = time.perf_counter() - started
    return seconds


def baseline_pii(text: str) -> str:
    for kind, pattern in _BASELINE_COMPILED.items():
        text = pattern.sub(f"<{kind}>", text)
    return text


_BASELINE_COMPILED = {kind: re.compile(pattern) for kind, pattern in BASELINE_PATTERNS.items()}


def fast_pii_batch(texts: list[str]) -> list[str]:
    """As the stage runs it: the prefilter scans the whole batch at once."""
    return [redact(text, finds) for text, finds in zip(texts, _FAST.finds_batch(texts))]


def precise_pii(text: str) -> str:
    return redact(text, _PRECISE.finds(text))


_FAST = PiiScanner(PII_TYPES, "hyperscan")
_PRECISE = PiiScanner(PII_TYPES, "none")
_PLAN: CleanPlan | None = None


def _pii_chunk(arguments) -> int:
    start, stop, which = arguments
    texts = [text for instruction, _, response in CORPUS[start:stop] for text in (instruction, response)]
    if which == "fast":
        fast_pii_batch(texts)
    else:
        for text in texts:
            baseline_pii(text)
    return stop - start


def _clean_chunk(arguments) -> dict:
    start, stop = arguments
    result = clean_records(records_frame(CORPUS[start:stop], start), _PLAN)
    return {"kept": len(result.kept), **result.reason_counts()}


def parallel(function, arguments: list, workers: int) -> tuple[float, list]:
    """On the engine's worker pool, as the stage's shard tasks run (forked here: the workers inherit
    the corpus instead of receiving a copy)."""
    started = time.perf_counter()
    results = list(map_tasks(function, arguments, workers))
    return time.perf_counter() - started, results


def main() -> int:
    global CORPUS, _PLAN
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--full-baseline", action="store_true",
                        help="also run the PII baseline over every record (slow: it runs at the baseline's speed)")
    arguments = parser.parse_args()

    started = time.perf_counter()
    CORPUS = build_corpus(arguments.records)
    total_mb = megabytes(text for record in CORPUS for text in record)
    print(f"corpus: {len(CORPUS):,} records, {total_mb:,.0f} MB of text, built in {time.perf_counter() - started:.0f} s")

    blocklist = [f"blockedterm{index}" for index in range(99)] + ["untraceable firearm"]
    settings = CleanConfig(strip_markdown=["instruction"])  # as the demo: responses keep their Markdown
    _PLAN = CleanPlan(settings, blocklist_terms=blocklist)
    sample = [text for record in CORPUS[: arguments.sample] for text in (record[0], record[2])]
    sample_mb = megabytes(sample)

    clean_records(records_frame(CORPUS[:200]), _PLAN)  # loads the compiled measures once, outside the timings
    print(f"\nper step, one core, {arguments.sample:,} records ({sample_mb:,.0f} MB):")
    for name, seconds in time_steps(_PLAN, records_frame(CORPUS[: arguments.sample])).items():
        print(f"  {name:<24} {sample_mb / seconds:9.1f} MB/s")

    print(f"\nPII, one core, same {sample_mb:,.0f} MB:")
    baseline_seconds = timed(baseline_pii, sample)
    precise_seconds = timed(precise_pii, sample)
    started = time.perf_counter()
    fast_redacted = fast_pii_batch(sample)
    fast_seconds = time.perf_counter() - started
    print(f"  baseline: one textbook regex per type  {sample_mb / baseline_seconds:8.1f} MB/s")
    print(f"  our detectors on every text            {sample_mb / precise_seconds:8.1f} MB/s")
    print(f"  fast path: Hyperscan prefilter + those {sample_mb / fast_seconds:8.1f} MB/s   "
          f"({baseline_seconds / fast_seconds:.1f}x the baseline, {precise_seconds / fast_seconds:.1f}x every-text)")
    checked = sample[:20_000]
    same = sum(precise_pii(text) == fast for text, fast in zip(checked, fast_redacted))
    print(f"  fast path output identical to every-text on {same:,} of {len(checked):,} texts")

    step = max(1, len(CORPUS) // (arguments.workers * 8))
    chunks = [(start, min(start + step, len(CORPUS))) for start in range(0, len(CORPUS), step)]
    print(f"\nall {len(CORPUS):,} records ({total_mb:,.0f} MB), {arguments.workers} processes:")
    passes = ("baseline", "fast") if arguments.full_baseline else ("fast",)
    for which in passes:
        seconds, _ = parallel(_pii_chunk, [(a, b, which) for a, b in chunks], arguments.workers)
        label = "PII baseline (regex per type)" if which == "baseline" else "PII fast path"
        print(f"  {label:<34} {total_mb / seconds:8.1f} MB/s  ({seconds:.0f} s)")
    seconds, results = parallel(_clean_chunk, chunks, arguments.workers)
    print(f"  {'whole cleaning stage, every rule':<34} {total_mb / seconds:8.1f} MB/s  ({seconds:.0f} s, "
          f"{len(CORPUS) / seconds:,.0f} records/s)")
    reasons: dict[str, int] = {}
    for part in results:
        for key, value in part.items():
            reasons[key] = reasons.get(key, 0) + value
    print(f"  outcomes: {dict(sorted(reasons.items()))}")

    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(f"\npeak memory: {peak / 1024:,.0f} MiB (largest process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
