"""How `curation run` scales with the number of records: one fresh run per size.

    python benchmarks/scale.py                          # sizes 10000,100000,1000000
    python benchmarks/scale.py --sizes 2000 --keep      # one small size; keep its folder to inspect
    python benchmarks/scale.py --self-check             # the corpus is deterministic for a seed
    python benchmarks/scale.py --sizes 100000 --engine both   # local pool, then a local Ray cluster: the ratio

For each size N: a seeded corpus of N instruction records of about 1 KB each is written as JSONL
(instruction / input / response), with a YAML config of one real source, into a fresh temporary
folder; then ``python -m curation_assets.cli run --config <that config>`` runs there in a fresh
process, with a fresh Dagster instance, warehouse and export folder (run_measure.py).

The records are English sentences recombined from the public datasets in ../shared/data (GSM8K
questions and solutions without their calculator annotations, Self-Instruct seed tasks, GPTeacher
Toolformer), read from there (env CURATION_SHARED_DATA overrides the folder), never copied. Planted:
about 5% exact duplicates and 5% near-duplicates (1-3 words of the response replaced) of earlier
records; of the other records, 3% carry an e-mail address and/or a phone number and 2% of the
rest have their response wrapped in HTML. The corpus is generated as a stream: 1M records take
about 1 GB on disk (in $TMPDIR, like the whole folder) and 2-3 minutes, in constant memory.

Printed per size: the corpus generation time (not counted in the run), then the run's wall time
and records/s, CPU-seconds of the whole process tree, peak RSS of the largest process and of the
whole tree (sampled every 0.2 s), the load average at start and end, every step's duration and the
slowest three, and the rows the pipeline rejected per stage:reason (the planted shares should show).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb

from run_measure import fresh_folder, print_failure, print_measurement, run_curation

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CURATION_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
DEFAULT_SIZES = "10000,100000,1000000"

EXACT_DUPLICATE_SHARE = 0.05
NEAR_DUPLICATE_SHARE = 0.05
PII_SHARE = 0.03
HTML_SHARE = 0.02
INPUT_SHARE = 0.25
# At most 3 of ~170 words: the word-5-gram Jaccard stays above the pipeline's 0.8 threshold.
NEAR_DUPLICATE_WORDS = (1, 3)
RESPONSE_CHARS = (600, 900)  # with the instruction and the occasional input: about 1 KB a record
DUPLICATE_SOURCES = 4096  # a uniform sample of earlier records to copy from, so memory stays flat

# A sentence ends at . ! or ? before a capital, except after a title (Mr. Smith).
SENTENCE_END = re.compile(r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<=[.!?])\s+(?=[A-Z\"'(])")
CALCULATOR_ANNOTATION = re.compile(r"<<[^>]*>>")
FINAL_ANSWER_LINE = re.compile(r"^####.*$", re.MULTILINE)
PLAIN_WORD = re.compile(r"\b[a-z]{3,10}\b")
COMMON_WORD_MIN_COUNT = 20  # rarer "words" are mostly names and typos

FIRST_NAMES = ["maria", "james", "aiko", "omar", "lena", "david", "priya", "tomas", "chen", "sofia"]
LAST_NAMES = ["smith", "garcia", "tanaka", "haddad", "novak", "okafor", "rossi", "kim", "berg", "silva"]
MAIL_DOMAINS = ["example.com", "mail.example.org", "inbox.example.net", "corp.example.co.uk"]
PII_SENTENCES = {
    "email": ["You can reach me at {email} if anything is unclear.", "Please send the answer to {email}."],
    "phone": ["Call me at {phone} before Friday if you need more details.", "My phone number is {phone}."],
    "both": ["My email is {email} and my phone number is {phone}."],
}


@dataclasses.dataclass(frozen=True)
class TextPools:
    """Sentences and words to recombine, in file order so a seed always gives the same corpus."""

    statements: list[str]  # context sentences of questions
    asks: list[str]  # the question or task itself
    inputs: list[str]
    answers: list[str]  # response sentences
    vocabulary: list[str]  # replacement words for near-duplicates


@dataclasses.dataclass
class CorpusStats:
    records: int = 0
    bytes: int = 0
    sha256: str = ""
    planted: Counter = dataclasses.field(default_factory=Counter)


# --- the text pools ---------------------------------------------------------------------------------

def load_pools(shared: Path = SHARED_DATA) -> TextPools:
    gsm8k = [json.loads(line) for line in (shared / "gsm8k_train.jsonl").open(encoding="utf-8")]
    seeds = [json.loads(line) for line in (shared / "self_instruct_seed_tasks.jsonl").open(encoding="utf-8")]
    toolformer = json.loads((shared / "gpteacher_toolformer.json").read_text(encoding="utf-8"))

    question_sentences = [s for item in gsm8k for s in sentences(item["question"])]
    statements = [s for s in question_sentences if not s.endswith("?")]
    # Toolformer instructions start with the tool's description, the same few lines thousands of
    # times: only their last line, the task, is kept, or every record would share boilerplate.
    asks = ([s for s in question_sentences if s.endswith("?")]
            + [with_period(item["instruction"].strip().splitlines()[-1]) for item in toolformer]
            + [with_period(seed["instruction"].strip()) for seed in seeds])
    inputs = ([item["input"] for item in toolformer if item["input"].strip()]
              + [instance["input"] for seed in seeds for instance in seed["instances"] if instance["input"].strip()])
    solutions = [FINAL_ANSWER_LINE.sub("", CALCULATOR_ANNOTATION.sub("", item["answer"])) for item in gsm8k]
    answers = ([s for text in solutions for s in sentences(text)]
               + [s for item in toolformer for s in sentences(item["output"])]
               + [s for seed in seeds for instance in seed["instances"] for s in sentences(instance["output"])])
    return TextPools(statements, asks, inputs, answers, common_words(answers))


def common_words(texts: list[str]) -> list[str]:
    counts = Counter(word for text in texts for word in PLAIN_WORD.findall(text))
    return sorted(word for word, count in counts.items() if count >= COMMON_WORD_MIN_COUNT)  # sorted: a fixed order


def sentences(text: str) -> list[str]:
    """Sentences of at least 12 characters; GSM8K's solution lines often lack the final period."""
    found = [s.strip() for line in text.splitlines() for s in SENTENCE_END.split(line)]
    return [with_period(s) for s in found if len(s) >= 12]


def with_period(sentence: str) -> str:
    return sentence if sentence[-1] in ".!?:" else sentence + "."


# --- records ------------------------------------------------------------------------------------------

def fresh_record(rng: random.Random, pools: TextPools) -> dict:
    # At least one context sentence: ~15k asks alone would repeat across a 1M corpus and turn
    # into conflicting responses to one instruction, which the corpus is not meant to plant.
    context = [rng.choice(pools.statements) for _ in range(rng.randint(1, 3))]
    instruction = " ".join(context + [rng.choice(pools.asks)])
    input_text = rng.choice(pools.inputs) if rng.random() < INPUT_SHARE else ""
    return {"instruction": instruction, "input": input_text, "response": response_text(rng, pools)}


def response_text(rng: random.Random, pools: TextPools) -> str:
    target = rng.randint(*RESPONSE_CHARS)
    paragraphs, paragraph, length = [], [], 0
    while length < target:
        sentence = rng.choice(pools.answers)
        paragraph.append(sentence)
        length += len(sentence) + 1
        if len(paragraph) >= 3 and rng.random() < 0.3:
            paragraphs.append(" ".join(paragraph))
            paragraph = []
    if paragraph:
        paragraphs.append(" ".join(paragraph))
    return "\n\n".join(paragraphs)


def with_pii(rng: random.Random, record: dict) -> dict:
    kind = rng.choice(sorted(PII_SENTENCES))
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first}.{last}{rng.randint(1, 99)}@{rng.choice(MAIL_DOMAINS)}"
    phone = rng.choice([f"({rng.randint(201, 989)}) 555-{rng.randint(0, 9999):04d}",
                        f"{rng.randint(201, 989)}-555-{rng.randint(0, 9999):04d}",
                        f"+44 20 7946 {rng.randint(0, 9999):04d}"])
    sentence = rng.choice(PII_SENTENCES[kind]).format(email=email, phone=phone)
    # Users leave their contact details in the question more often than assistants in the answer.
    field = "instruction" if rng.random() < 0.7 else "response"
    return {**record, field: f"{record[field]} {sentence}"}


def with_html(rng: random.Random, record: dict) -> dict:
    paragraphs = record["response"].split("\n\n")
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    if rng.random() < 0.5 and len(paragraphs) > 1:
        body = f"<p>{paragraphs[0]}</p><ul>" + "".join(f"<li>{p}</li>" for p in paragraphs[1:]) + "</ul>"
    return {**record, "response": f'<div class="answer">{body}</div>'}


def near_duplicate(rng: random.Random, record: dict, vocabulary: list[str]) -> dict:
    words = record["response"].split(" ")
    replaceable = [index for index, word in enumerate(words) if word.isalpha()]  # never inside an HTML tag
    for index in rng.sample(replaceable, min(len(replaceable), rng.randint(*NEAR_DUPLICATE_WORDS))):
        replacement = rng.choice(vocabulary)
        words[index] = replacement if replacement != words[index].lower() else replacement + "s"
    return {**record, "response": " ".join(words)}


def generate_records(count: int, seed: int, pools: TextPools) -> Iterator[tuple[str, dict]]:
    """(planted kind, record), in corpus order. Duplicates copy a uniform sample of the earlier
    records (reservoir sampling), so they are spread over the whole corpus in constant memory."""
    rng = random.Random(seed)
    sources: list[dict] = []
    originals = 0
    for _ in range(count):
        roll = rng.random()
        if sources and roll < EXACT_DUPLICATE_SHARE:
            yield "exact_duplicate", rng.choice(sources)
            continue
        if sources and roll < EXACT_DUPLICATE_SHARE + NEAR_DUPLICATE_SHARE:
            yield "near_duplicate", near_duplicate(rng, rng.choice(sources), pools.vocabulary)
            continue
        kind, record = "original", fresh_record(rng, pools)
        if rng.random() < PII_SHARE:
            kind, record = "original_with_pii", with_pii(rng, record)
        elif rng.random() < HTML_SHARE:
            kind, record = "original_with_html", with_html(rng, record)
        originals += 1
        if len(sources) < DUPLICATE_SOURCES:
            sources.append(record)
        else:
            slot = rng.randrange(originals)
            if slot < DUPLICATE_SOURCES:
                sources[slot] = record
        yield kind, record


def write_corpus(path: Path, count: int, seed: int, pools: TextPools) -> CorpusStats:
    stats, digest = CorpusStats(), hashlib.sha256()
    with path.open("wb") as file:
        for kind, record in generate_records(count, seed, pools):
            line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
            file.write(line)
            digest.update(line)
            stats.records += 1
            stats.bytes += len(line)
            stats.planted[kind] += 1
    stats.sha256 = digest.hexdigest()
    return stats


def write_config(corpus: Path, count: int, seed: int, executor: str = "auto", backend: str = "local") -> Path:
    config = corpus.parent / "scale.yaml"
    engine = ([] if executor == "auto" else [f"  executor: {executor}\n"]) + \
        ([] if backend == "local" else [f"  backend: {backend}\n"])
    config.write_text(
        f"# Written by benchmarks/scale.py: {count} records, seed {seed}. Defaults for every stage.\n"
        "sources:\n"
        "  - name: scale_corpus\n"
        f"    path: {corpus.name}\n"  # relative paths resolve against the config's folder
        "    format: jsonl\n"
        "    fields: {instruction: instruction, input: input, response: response}\n"
        "    kind: real\n"
        "    license: recombined from GSM8K (MIT), Self-Instruct seeds (Apache-2.0), GPTeacher Toolformer (MIT)\n"
        "    domain: general\n"
        "warehouse:\n"
        "  path: warehouse.duckdb\n"
        "export:\n"
        "  output_dir: exports\n"
        + ("engine:\n" + "".join(engine) if engine else ""),
        encoding="utf-8",
    )
    return config


# --- the benchmark ----------------------------------------------------------------------------------

def benchmark_size(count: int, seed: int, pools: TextPools, keep: bool, executor: str = "auto",
                   backend: str = "local") -> tuple[int, float]:
    """The run's exit code and wall time."""
    print(f"\n=== {count:,} records, seed {seed}, executor {executor}, engine {backend} ===")
    with fresh_folder(keep, prefix=f"curation-scale-{count}-") as folder:
        started = time.perf_counter()
        stats = write_corpus(folder / "corpus.jsonl", count, seed, pools)
        generation = time.perf_counter() - started
        print(f"corpus generated:  {generation:.1f} s, not counted  ({stats.bytes / 1e6:,.1f} MB, "
              f"{stats.bytes / stats.records:,.0f} B/record; {planted_summary(stats)})")
        measurement = run_curation(write_config(folder / "corpus.jsonl", count, seed, executor, backend), folder)
        if measurement.returncode != 0:
            print_failure(measurement)
            return measurement.returncode, measurement.wall_seconds
        print_measurement(measurement, count)
        print_rejections(folder / "warehouse.duckdb")
    return 0, measurement.wall_seconds


def planted_summary(stats: CorpusStats) -> str:
    return ", ".join(f"{kind} {number:,}" for kind, number in sorted(stats.planted.items()))


def print_rejections(warehouse: Path) -> None:
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = connection.execute(
            "SELECT stage || ':' || reason, count(*) FROM rejections GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    finally:
        connection.close()
    print("rejected:          " + (", ".join(f"{reason} {count:,}" for reason, count in rows) or "nothing"))


def self_check(count: int = 2000, seed: int = 0) -> int:
    """Two generations with one seed must be byte-identical, and another seed must differ."""
    pools = load_pools()
    with tempfile.TemporaryDirectory(prefix="curation-scale-check-") as folder:
        first = write_corpus(Path(folder) / "first.jsonl", count, seed, pools)
        second = write_corpus(Path(folder) / "second.jsonl", count, seed, pools)
        other = write_corpus(Path(folder) / "other.jsonl", count, seed + 1, pools)
    print(f"seed {seed}, twice:  {first.sha256}\n                {second.sha256}")
    print(f"seed {seed + 1}:        {other.sha256}")
    print(f"{count} records, {first.bytes / count:,.0f} B/record; {planted_summary(first)}")
    deterministic = first.sha256 == second.sha256 and first.planted == second.planted
    print("deterministic: " + ("yes" if deterministic else "NO"))
    print("another seed gives another corpus: " + ("yes" if other.sha256 != first.sha256 else "NO"))
    return 0 if deterministic and other.sha256 != first.sha256 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated record counts (default {DEFAULT_SIZES})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="leave each size's folder (corpus, warehouse, Dagster home)")
    parser.add_argument("--self-check", action="store_true", help="only check that the corpus is deterministic")
    parser.add_argument("--executor", default="auto", choices=["auto", "multiprocess", "in_process"],
                        help="engine.executor for the runs (default auto: the config's default)")
    parser.add_argument("--engine", default="local", choices=["local", "ray", "both"],
                        help="engine.backend: the local worker pool, a local Ray cluster started by the run, or "
                             "both one after the other with the ray/local wall-time ratio (default local)")
    arguments = parser.parse_args()
    if arguments.self_check:
        return self_check(seed=arguments.seed)
    sizes = [int(size.replace("_", "")) for size in arguments.sizes.split(",") if size.strip()]
    backends = ["local", "ray"] if arguments.engine == "both" else [arguments.engine]
    pools = load_pools()
    for count in sizes:
        walls = {}
        for backend in backends:
            returncode, walls[backend] = benchmark_size(count, arguments.seed, pools, arguments.keep,
                                                        arguments.executor, backend)
            if returncode != 0:
                return returncode
        if len(walls) == 2:
            print(f"\n{count:,} records: local {walls['local']:.1f} s, ray {walls['ray']:.1f} s, "
                  f"ray / local = {walls['ray'] / walls['local']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
