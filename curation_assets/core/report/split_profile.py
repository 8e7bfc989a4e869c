"""One split's profile for the data card, computed part by part (a shard each) and merged.

A part's profile keeps only what merges exactly: counters, exact length histograms (records per
length), the first examples in record order, the extreme responses, the ladder's candidates for
sample records, and per record three 8-byte hashes (normalized instruction, instruction + input,
response) with its position. Which instructions repeat, and which get different responses, is
answered over the hashes; the few example texts are read back by position. So the merged
profile of the parts equals the profile of the whole split, and no process holds the split's text.

Language guesses and token counts cost most per record (CLD2, BPE): they run on a seeded sample, a
record being in it when its seeded hash falls below ``sample_rate``, the same records however the
split is sharded; at most ``ReportConfig.profile_sample`` records per split, every record when the
split is smaller.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from curation_assets.core.export.formats import as_export_rows, chat_example
from curation_assets.core.load.conversations import read_turns
from curation_assets.core.report.tokenizer import load_tokenizer
from curation_assets.core.records import NO_TURNS, TEXT_FIELDS, normalize_text
from curation_assets.core.report import stats
from curation_assets.core.report.ladders import ladder_candidates, ladder_order, unit_hash
from curation_assets.core.report.settings import ReportConfig

# Where a record sits: (part, row within the part).
Position = tuple[int, int]
# Records at positions, as a frame in the order asked.
Fetch = Callable[[Sequence[Position]], pd.DataFrame]
_HASH_COLUMNS = ("instruction", "key", "response")
_OUTLIER_COLUMNS = ["record_id", "source", "instruction", "response", "response_chars"]


def sample_rate(records: int, sample: int) -> float:
    return 1.0 if records <= sample else sample / records


def _sampled(frame: pd.DataFrame, rate: float, seed: int) -> pd.DataFrame:
    if rate >= 1.0:
        return frame
    return frame[frame["record_id"].map(lambda rid: unit_hash(rid, f"profile-{seed}")) < rate]


def _histogram(lengths: np.ndarray) -> Counter:
    values, occurrences = np.unique(np.asarray(lengths, dtype=np.int64), return_counts=True)
    return Counter(dict(zip(values.tolist(), occurrences.tolist())))


def _hash(texts: pd.Series) -> np.ndarray:
    # pandas' hash is keyed and stable across processes, unlike hash().
    return pd.util.hash_array(texts.to_numpy(dtype=object))


@dataclass
class PartProfile:
    records: int = 0
    sampled: int = 0
    by_source: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)
    by_source_kind: Counter = field(default_factory=Counter)
    # "<field> chars" over every record, "<field> tokens" over the sample: records per length.
    lengths: dict[str, Counter] = field(default_factory=dict)
    languages: Counter = field(default_factory=Counter)
    scripts: Counter = field(default_factory=Counter)
    openings: Counter = field(default_factory=Counter)
    verb_objects: Counter = field(default_factory=Counter)
    odd: dict[str, dict] = field(default_factory=dict)
    extremes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_OUTLIER_COLUMNS))
    hashes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["part", "row", *_HASH_COLUMNS]))
    sample_candidates: pd.DataFrame = field(default_factory=pd.DataFrame)
    turns: Counter = field(default_factory=Counter)  # records per number of turns (final exchange included)
    pairs: int = 0  # preference pairs


def _extremes(frame: pd.DataFrame, examples: int) -> pd.DataFrame:
    """The ``examples`` shortest and longest responses, by (characters, record id)."""
    ordered = frame.assign(response_chars=frame["response"].fillna("").str.len()).sort_values(
        ["response_chars", "record_id"], kind="mergesort")
    ends = pd.concat([ordered.head(examples), ordered.tail(examples)]).drop_duplicates("record_id")
    return ends.loc[:, _OUTLIER_COLUMNS].reset_index(drop=True)


def example_tokens(frame: pd.DataFrame, tokenizer: str) -> np.ndarray:
    """Per record, the tokens of its whole training example (every turn and the answer) as the trainer
    sees it: the tokenizer's chat template applied when it has one."""
    model = load_tokenizer(tokenizer)
    rows = as_export_rows(frame)
    return np.fromiter((model.count(model.example_text(chat_example(row, None)["messages"]))
                        for row in rows.itertuples(index=False)), dtype=np.int64, count=len(rows))


def profile_part(frame: pd.DataFrame, part: int, settings: ReportConfig, rate: float) -> PartProfile:
    """The profile of one part of a split (its rows in record order)."""
    instructions = frame["instruction"].fillna("")
    sample = _sampled(frame, rate, settings.ladder_seed)
    lengths = {f"{name} chars": _histogram(frame[name].fillna("").str.len().to_numpy()) for name in TEXT_FIELDS}
    lengths |= {f"{name} tokens": _histogram(stats.token_counts(sample[name], settings.tokenizer)) for name in TEXT_FIELDS}
    earlier = frame["earlier_turns"].fillna(NO_TURNS)
    turns = Counter(len(read_turns(text)) + 2 if text != NO_TURNS else 2 for text in earlier)
    sampled_turns = [turn["content"] for text in sample["earlier_turns"].fillna(NO_TURNS) if text != NO_TURNS
                     for turn in read_turns(text)]
    lengths["earlier turn tokens"] = _histogram(stats.token_counts(pd.Series(sampled_turns, dtype=object),
                                                                   settings.tokenizer)) if sampled_turns else Counter()
    lengths["example tokens"] = _histogram(example_tokens(sample, settings.tokenizer))
    normalized_instruction = instructions.map(normalize_text)
    key = normalized_instruction + "\x1f" + frame["input"].fillna("").map(normalize_text)
    hashes = pd.DataFrame({"part": part, "row": np.arange(len(frame)), "instruction": _hash(normalized_instruction),
                           "key": _hash(key), "response": _hash(frame["response"].fillna("").map(normalize_text))})
    return PartProfile(
        records=len(frame),
        sampled=len(sample),
        by_source=Counter(frame["source"].value_counts().to_dict()),
        by_kind=Counter(frame["kind"].value_counts().to_dict()),
        by_source_kind=Counter(frame.groupby(["source", "kind"]).size().to_dict()),
        lengths=lengths,
        languages=Counter(stats.language_mix(sample)),
        scripts=Counter(stats.script_mix(frame)),
        openings=Counter(stats.opening_counts(instructions)),
        verb_objects=Counter(pair for pair in map(stats.verb_object, instructions) if pair is not None),
        odd=stats.odd_characters(frame, settings.examples),
        extremes=_extremes(frame, settings.examples),
        hashes=hashes,
        sample_candidates=ladder_candidates(frame, settings.ladder_seed, settings.samples_per_split),
        turns=turns,
        pairs=int((frame["rejected_response"].fillna("") != "").sum()),
    )


def _merge_odd(parts: Sequence[dict[str, dict]], examples: int) -> dict[str, dict]:
    merged: dict[str, dict] = {}
    for found in parts:
        for kind, entry in found.items():
            into = merged.setdefault(kind, {"records": 0, "examples": []})
            into["records"] += entry["records"]
            into["examples"] = (into["examples"] + entry["examples"])[:examples]
    return dict(sorted(merged.items()))


def merge_parts(parts: Sequence[PartProfile], settings: ReportConfig) -> PartProfile:
    """The parts' profiles as one, the parts given in record order."""
    merged = PartProfile()
    for part in parts:
        merged.records += part.records
        merged.sampled += part.sampled
        merged.pairs += part.pairs
        for name in ("by_source", "by_kind", "by_source_kind", "languages", "scripts", "openings", "verb_objects",
                     "turns"):
            getattr(merged, name).update(getattr(part, name))
        for name, histogram in part.lengths.items():
            merged.lengths.setdefault(name, Counter()).update(histogram)
    merged.odd = _merge_odd([part.odd for part in parts], settings.examples)
    frames = [part.extremes for part in parts if len(part.extremes)]
    merged.extremes = _extremes(pd.concat(frames, ignore_index=True), settings.examples) if frames else merged.extremes
    hashes = [part.hashes for part in parts if len(part.hashes)]
    merged.hashes = pd.concat(hashes, ignore_index=True) if hashes else merged.hashes
    candidates = [part.sample_candidates for part in parts if len(part.sample_candidates)]
    merged.sample_candidates = (ladder_candidates(pd.concat(candidates, ignore_index=True), settings.ladder_seed,
                                                  settings.samples_per_split) if candidates else pd.DataFrame())
    return merged


def histogram_percentiles(histogram: Counter) -> dict[str, float]:
    """``stats.percentiles`` of the values a histogram counts (numpy's linear interpolation), exactly."""
    if not histogram:
        return stats.percentiles([])
    values = np.array(sorted(histogram), dtype=float)
    ends = np.cumsum([histogram[int(value)] for value in values])
    total = int(ends[-1])

    def at(index: int) -> float:
        return float(values[np.searchsorted(ends, index, side="right")])

    result = {}
    for p in stats.PERCENTILES:
        virtual = (total - 1) * (p / 100)
        below = math.floor(virtual)
        low, high = at(below), at(min(below + 1, total - 1))
        fraction = virtual - below
        value = low + (high - low) * fraction if fraction < 0.5 else high - (high - low) * (1 - fraction)
        result[f"p{p}"] = round(value, 1)
    mean = sum(value * count for value, count in histogram.items()) / total
    return result | {"mean": round(float(mean), 1)}


def _outlier_rows(rows: pd.DataFrame) -> list[dict]:
    return [{"record_id": r.record_id, "source": r.source, "response_chars": int(r.response_chars),
             "instruction": r.instruction[:200], "response": (r.response or "")[:200]}
            for r in rows.itertuples(index=False)]


def _positions(rows: pd.DataFrame) -> list[Position]:
    return list(zip(rows["part"].tolist(), rows["row"].tolist()))


def _repeated_instructions(hashes: pd.DataFrame, fetch: Fetch, examples: int) -> list[dict]:
    """The most repeated instructions (normalized), ties in order of first appearance."""
    repeated = hashes.index.to_series().groupby(hashes["instruction"], sort=False).agg(records="size", first="min")
    repeated = repeated[repeated["records"] > 1].sort_values(["records", "first"], ascending=[False, True],
                                                            kind="mergesort").head(examples)
    texts = fetch(_positions(hashes.loc[repeated["first"]]))
    return [{"instruction": text[:200], "records": int(count)}
            for text, count in zip(texts["instruction"].tolist(), repeated["records"].tolist())]


def _conflicts(hashes: pd.DataFrame, fetch: Fetch, examples: int) -> dict:
    """Instructions (normalized, with their input) seen with more than one distinct normalized
    response; the examples are the first such instructions in record order."""
    distinct = hashes.groupby("key", sort=False)["response"].nunique()
    conflicted = distinct[distinct > 1].index
    in_conflict = hashes["key"].isin(conflicted)
    cases = []
    for key in hashes.loc[in_conflict, "key"].drop_duplicates().head(examples):
        rows = fetch(_positions(hashes[hashes["key"] == key]))
        cases.append({"instruction": rows["instruction"].iloc[0][:200],
                      "responses": [response[:200] for response in rows["response"].drop_duplicates().head(3)]})
    return {"instructions": int(len(conflicted)), "records": int(in_conflict.sum()), "examples": cases}


def _example_tokens(histogram: Counter, max_tokens: int | None) -> dict:
    profiled = int(sum(histogram.values()))
    over = int(sum(count for tokens, count in histogram.items() if max_tokens is not None and tokens > max_tokens))
    return {"percentiles": histogram_percentiles(histogram), "max_tokens": max_tokens,
            "over_max_tokens": over if max_tokens is not None else None,
            "share_over_max_tokens": round(over / profiled, 4) if max_tokens is not None and profiled else None}


def finish(merged: PartProfile, settings: ReportConfig, fetch: Fetch) -> dict:
    """Everything the data card shows about one split; ``fetch`` reads records back by position."""
    examples, top = settings.examples, settings.top
    ordered = merged.extremes.sort_values(["response_chars", "record_id"], kind="mergesort")
    pairs = merged.verb_objects
    samples = ladder_order(merged.sample_candidates, settings.ladder_seed, dict(merged.by_source))
    return {
        "records": merged.records,
        "profiled_records": merged.sampled,
        "by_source": {str(k): int(v) for k, v in sorted(merged.by_source.items())},
        "by_kind": {str(k): int(v) for k, v in sorted(merged.by_kind.items())},
        "by_source_kind": dict(sorted(merged.by_source_kind.items())),
        "lengths": {name: {unit: histogram_percentiles(merged.lengths.get(f"{name} {unit}", Counter()))
                           for unit in ("chars", "tokens")} for name in TEXT_FIELDS},
        "length_histograms": {name: dict(histogram) for name, histogram in merged.lengths.items()},
        "language_mix": dict(merged.languages.most_common()),
        "script_mix": dict(merged.scripts.most_common()),
        "opening_words": merged.openings.most_common(top),
        "verb_object": {
            "distinct_pairs": len(pairs),
            "distinct_verbs": len({verb for verb, _ in pairs}),
            "records_with_pair": int(sum(pairs.values())),
            "top": [(f"{verb} {obj}", count) for (verb, obj), count in pairs.most_common(top)],
        },
        "odd_characters": merged.odd,
        "outliers": {
            "longest_responses": _outlier_rows(ordered.tail(examples).iloc[::-1]),
            "shortest_responses": _outlier_rows(ordered.head(examples)),
            "most_repeated_instructions": _repeated_instructions(merged.hashes, fetch, examples),
        },
        "same_instruction_different_response": _conflicts(merged.hashes, fetch, examples),
        "conversations": {
            "multi_turn_records": int(sum(count for turns, count in merged.turns.items() if turns > 2)),
            "preference_pairs": merged.pairs,
            "turns_per_record": histogram_percentiles(merged.turns),
            "records_by_turns": {str(turns): int(count) for turns, count in sorted(merged.turns.items())},
            "earlier_turn_tokens": histogram_percentiles(merged.lengths.get("earlier turn tokens", Counter())),
        },
        "example_tokens": _example_tokens(merged.lengths.get("example tokens", Counter()), settings.max_tokens),
        "samples": samples.head(settings.samples_per_split).to_dict("records") if len(samples) else [],
    }


def profile_frame(frame: pd.DataFrame, settings: ReportConfig, sample: int | None = None) -> dict:
    """The profile of a split held as one frame (small splits, tests): one part."""
    frame = frame.reset_index(drop=True)
    rate = sample_rate(len(frame), settings.profile_sample if sample is None else sample)
    merged = merge_parts([profile_part(frame, 0, settings, rate)], settings)
    return finish(merged, settings, lambda positions: frame.iloc[[row for _, row in positions]])
