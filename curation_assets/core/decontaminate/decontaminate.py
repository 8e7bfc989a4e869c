"""Benchmark decontamination: drop training records that overlap an evaluation set.

Texts are compared as word sequences (``core/text/tokens.py``: NFKC, casefold, runs of letters
and digits, CJK characters one by one; punctuation and spacing do not matter). A training field
is contaminated when it shares a word n-gram (default 13, as in the GPT-3 and Llama reports)
with a benchmark text; benchmark texts shorter than n words cannot be found that way, so they
match when a training field is exactly the same text after normalization. The rejection names
the benchmark, the item (its position in the file, counted as for sources) and field, and the
matched span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from curation_assets.core.decontaminate.settings import BenchmarkConfig, DecontaminateConfig
from curation_assets.core.files import file_sha256
from curation_assets.core.load.readers import FileError, read_items
from curation_assets.core.load.conversations import read_turns
from curation_assets.core.records import NO_TURNS, as_records, as_rejections, empty_rejections
from curation_assets.core.stage_result import StageResult
from curation_assets.core.text.tokens import word_ngrams, words

STAGE = "decontaminate"
_SPAN_CHARS = 200


class BenchmarkError(FileError):
    """A configured benchmark file cannot be read as configured."""


@dataclass(frozen=True)
class BenchmarkText:
    benchmark: str
    item: int  # position in the file, counted as for sources (core/load/readers.py)
    field: str
    text: str

    def where(self) -> str:
        return f"benchmark {self.benchmark} item {self.item} ({self.field})"


@dataclass(frozen=True)
class Contamination:
    source: BenchmarkText
    training_field: str
    kind: str  # "ngram" or "exact"
    span: str  # the matched words, normalized

    def detail(self, n: int) -> str:
        how = f"{n}-gram overlap" if self.kind == "ngram" else "exact match after normalization"
        return f"{self.source.where()}: {how} in {self.training_field}: '{self.span}'"


def _text_of(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (list, tuple)):
        parts = [_text_of(part) for part in value]
        return "\n".join(part for part in parts if part) or None
    return str(value)


def read_benchmark(benchmark: BenchmarkConfig, path: Path) -> list[BenchmarkText]:
    """The texts of the benchmark's fields, read like a source file; any unreadable item fails it."""
    where = f"benchmark '{benchmark.name}' ({path})"
    try:
        read = read_items(path, benchmark.format, "utf-8", where)
    except FileError as error:
        raise BenchmarkError(str(error)) from error
    broken = next((item for item in read.items if item.problem), None)
    if broken is not None:
        raise BenchmarkError(f"{where}: cannot be read as {benchmark.format}: {broken.problem[1]}")
    texts = []
    for item in read.items:
        if not isinstance(item.value, dict):
            raise BenchmarkError(f"{where}: item {item.position} is not an object")
        for name in benchmark.fields:
            if name not in item.value:
                raise BenchmarkError(f"{where}: item {item.position} has no field '{name}'")
            text = _text_of(item.value[name])
            if text and text.strip():
                texts.append(BenchmarkText(benchmark.name, item.position, name, text))
    if not texts:
        raise BenchmarkError(f"{where}: no text in fields {', '.join(benchmark.fields)}")
    return texts


@dataclass
class BenchmarkIndex:
    """Every benchmark n-gram and every short benchmark text, each pointing at its first item."""

    n: int
    ngram_owner: dict[str, BenchmarkText] = field(default_factory=dict)
    short_owner: dict[str, BenchmarkText] = field(default_factory=dict)
    items_by_benchmark: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, texts: list[BenchmarkText], n: int) -> "BenchmarkIndex":
        index = cls(n)
        items: dict[str, set[int]] = {}
        for text in texts:
            items.setdefault(text.benchmark, set()).add(text.item)
            tokens = words(text.text)
            if len(tokens) >= n:
                for gram in word_ngrams(tokens, n):
                    index.ngram_owner.setdefault(gram, text)
            elif tokens:
                index.short_owner.setdefault(" ".join(tokens), text)
        index.items_by_benchmark = {name: len(positions) for name, positions in sorted(items.items())}
        return index

    def match(self, text: str, training_field: str) -> Contamination | None:
        tokens = words(text)
        short = self.short_owner.get(" ".join(tokens))
        if short is not None:
            return Contamination(short, training_field, "exact", _clip(" ".join(tokens)))
        if len(tokens) < self.n or not self.ngram_owner:
            return None
        grams = word_ngrams(tokens, self.n)
        for start, gram in enumerate(grams):
            owner = self.ngram_owner.get(gram)
            if owner is not None:
                end = start
                while end + 1 < len(grams) and grams[end + 1] in self.ngram_owner:
                    end += 1  # report the whole overlapping run, not just its first n words
                return Contamination(owner, training_field, "ngram", _clip(" ".join(tokens[start:end + self.n])))
        return None


def _clip(span: str) -> str:
    return span if len(span) <= _SPAN_CHARS else span[: _SPAN_CHARS - 1] + "…"


@dataclass
class DecontaminationResult(StageResult):
    by_benchmark: dict[str, int] = field(default_factory=dict)
    examples: list[dict] = field(default_factory=list)


def decontaminate(frame: pd.DataFrame, index: BenchmarkIndex, settings: DecontaminateConfig,
                  examples: int = 5) -> DecontaminationResult:
    if frame.empty or not settings.enabled or not index.items_by_benchmark:
        # No benchmark: nothing to compare, so no text is tokenized.
        return DecontaminationResult(as_records(frame), empty_rejections(STAGE))
    contaminations: list[Contamination | None] = []
    for row in frame[list(settings.fields)].itertuples(index=False):
        found = None
        for name, text in zip(settings.fields, row):
            found = index.match(text or "", name) if text else None
            if found:
                break
        contaminations.append(found)
    # Every turn of a conversation and a pair's rejected answer reach the trainer: they are compared too.
    for row, (turns, rejected) in enumerate(zip(frame["earlier_turns"], frame["rejected_response"])):
        if contaminations[row] is None and (turns != NO_TURNS or rejected):
            texts = [(f"earlier turn {number} ({turn['role']})", turn["content"])
                     for number, turn in enumerate(read_turns(turns), 1)] + [("rejected_response", rejected)]
            contaminations[row] = next((found for name, text in texts if text and (found := index.match(text, name))),
                                       None)
    mask = pd.Series([found is not None for found in contaminations], index=frame.index)
    hits = [found for found in contaminations if found is not None]
    dropped = frame[mask].assign(
        reason="contaminated",
        detail=[found.detail(index.n) for found in hits],
    )
    by_benchmark: dict[str, int] = {}
    for found in hits:
        by_benchmark[found.source.benchmark] = by_benchmark.get(found.source.benchmark, 0) + 1
    shown = [
        {"record_id": record_id, "benchmark": found.source.benchmark, "item": found.source.item,
         "benchmark_field": found.source.field, "training_field": found.training_field, "match": found.kind,
         "span": found.span}
        for record_id, found in zip(dropped["record_id"].head(examples), hits[:examples])
    ]
    return DecontaminationResult(as_records(frame[~mask]), as_rejections(dropped, STAGE),
                                 dict(sorted(by_benchmark.items())), shown)



def load_benchmarks(settings: DecontaminateConfig, resolve: Callable[[str], Path]) -> tuple[BenchmarkIndex, dict]:
    """The n-gram index over every configured benchmark, and what was read (for the metadata)."""
    texts, read = [], {}
    for benchmark in settings.benchmarks:
        path = resolve(benchmark.path)
        benchmark_texts = read_benchmark(benchmark, path)
        texts.extend(benchmark_texts)
        read[benchmark.name] = {"path": str(path), "fields": benchmark.fields, "texts": len(benchmark_texts),
                                "sha256": file_sha256(path)}
    index = BenchmarkIndex.build(texts, settings.ngram)
    for name, items in index.items_by_benchmark.items():
        read[name]["items"] = items
    return index, read


@dataclass(frozen=True)
class ShardPlan:
    index: BenchmarkIndex
    settings: DecontaminateConfig


def shard_plan(config) -> ShardPlan:
    """Built once per worker: the benchmark index of ``config`` (a PipelineConfig)."""
    return ShardPlan(load_benchmarks(config.decontaminate, config.resolve)[0], config.decontaminate)


def decontaminate_shard(shard: pd.DataFrame, plan: ShardPlan) -> tuple[DecontaminationResult, DecontaminationResult]:
    result = decontaminate(shard, plan.index, plan.settings)
    return result, DecontaminationResult(result.kept.iloc[:0], result.rejected.iloc[:0], result.by_benchmark,
                                         result.examples)


def merged_findings(findings: list[DecontaminationResult], examples: int = 5) -> tuple[dict[str, int], list[dict]]:
    """What the shards found, together: records dropped per benchmark, and the first examples."""
    by_benchmark: dict[str, int] = {}
    shown: list[dict] = []
    for found in findings:
        for name, count in found.by_benchmark.items():
            by_benchmark[name] = by_benchmark.get(name, 0) + count
        shown.extend(found.examples[: examples - len(shown)])
    return dict(sorted(by_benchmark.items())), shown
