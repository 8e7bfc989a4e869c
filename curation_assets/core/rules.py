"""Rules and rewrites, in the spirit of datatrove's filters, and the one runner that applies them.

A stage that judges records one by one is an ordered list of steps:

- a ``Rule`` judges a batch of records (a DataFrame of the records still kept, texts as rewritten
  so far) and returns ``Verdicts``: per record, None to keep it or the reason and detail of its
  drop. A rule's ``name`` is its config key and, unless it declares several ``reasons``, the
  rejection reason users see. Judging a whole batch lets a rule vectorize or prefilter.
- a ``Rewrite`` returns the batch's texts rewritten (HTML to text, PII redacted, ...); ``name`` is
  what a changed record's lineage records (``response:pii_redacted``). What a rewrite finds may
  also drop records (a source whose PII is dropped, not redacted): it then declares ``reasons``.

``run_rules`` applies the steps in order, each to the records no earlier step dropped (a record is
rejected by the first rule it fails), and does once for every stage what each used to do itself:
the kept and rejected records, the lineage of rewrites, drops and rewrites counted, a few dropped
examples per reason.
"""

from __future__ import annotations

import json
import operator
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from curation_assets.core.records import TEXT_FIELDS, as_records, as_rejections
from curation_assets.core.stage_result import StageResult


@dataclass(frozen=True)
class Verdicts:
    """One per record of a judged batch: ``reasons[i]`` None keeps record i, else names why it is dropped."""

    reasons: np.ndarray  # object array: reason or None
    details: np.ndarray  # object array: detail or None

    @classmethod
    def keep_all(cls, size: int) -> "Verdicts":
        return cls(np.full(size, None, dtype=object), np.full(size, None, dtype=object))

    @classmethod
    def of(cls, reason: str, details: Iterable[str | None]) -> "Verdicts":
        """A one-reason rule's verdicts: a detail drops the record with ``reason``, None keeps it."""
        if not isinstance(details, np.ndarray):
            details = np.fromiter(details, dtype=object)
        return cls(np.where(pd.isna(details), None, reason).astype(object), details)

    @classmethod
    def of_pairs(cls, verdicts: Iterable[tuple[str, str] | None]) -> "Verdicts":
        """Verdicts from ``(reason, detail)`` or None per record."""
        pairs = list(verdicts)
        verdict = cls.keep_all(len(pairs))
        for row, pair in enumerate(pairs):
            if pair is not None:
                verdict.reasons[row], verdict.details[row] = pair
        return verdict

    @property
    def dropped(self) -> np.ndarray:
        return pd.notna(self.reasons)


class Rule(ABC):
    name: str  # its config key; its rejection reason unless ``reasons`` says otherwise

    @property
    def reasons(self) -> tuple[str, ...]:
        """Every rejection reason the rule can give."""
        return (self.name,)

    @abstractmethod
    def judge(self, batch: pd.DataFrame) -> Verdicts: ...


class TextRule(Rule):
    """A rule that judges one field's text at a time: ``detail(text)`` says why it fails, or None."""

    field: str = "response"

    @abstractmethod
    def detail(self, text: str) -> str | None: ...

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        return Verdicts.of(self.name, map(self.detail, batch[self.field]))


@dataclass
class Rewritten:
    texts: dict[str, Sequence[str]]  # field → the new text of every record of the batch (unchanged: the same str)
    notes: Sequence[dict | None] | None = None  # per record, what was found: a kept record's lineage[name]
    verdicts: Verdicts | None = None  # records the findings drop


class Rewrite(ABC):
    name: str  # lineage and report name of the change, e.g. html_stripped
    reasons: tuple[str, ...] = ()  # rejection reasons, when what it finds can drop a record

    @abstractmethod
    def rewrite(self, batch: pd.DataFrame) -> Rewritten: ...


class TextRewrite(Rewrite):
    """A rewrite of each of ``fields`` by ``apply(text)``, which returns the text itself when it has nothing to do.

    ``candidates(texts)``, when given, tells in one pass over a field's texts which ones ``apply``
    may change (True: a superset); the others are not passed to it.
    """

    def __init__(self, name: str, apply: Callable[[str], str], fields: Sequence[str] = TEXT_FIELDS,
                 candidates: Callable[[list[str]], np.ndarray] | None = None) -> None:
        self.name, self.apply, self.fields, self.candidates = name, apply, tuple(fields), candidates

    def rewrite(self, batch: pd.DataFrame) -> Rewritten:
        rewritten = {}
        for name in self.fields:
            texts = batch[name].tolist()
            rows = range(len(texts)) if self.candidates is None else np.flatnonzero(self.candidates(texts))
            for row in rows:
                texts[row] = self.apply(texts[row])
            rewritten[name] = texts
        return Rewritten(rewritten)


Step = Rule | Rewrite


@dataclass
class RuleRun(StageResult):
    """The stage result, and what the steps did: rewrites and drops counted, examples, each rewrite's notes."""

    rewrites: Counter = field(default_factory=Counter)  # rewrite name → records it changed
    drops: Counter = field(default_factory=Counter)  # reason → records
    examples: dict[str, list[dict]] = field(default_factory=dict)  # reason → the first few dropped records
    notes: dict[str, list] = field(default_factory=dict)  # rewrite name → per input record, its note or None
    kept_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # input row of each kept record


CHUNK = 10_000


def run_rules(
    records: pd.DataFrame,
    steps: Sequence[Step],
    stage: str,
    examples_per_reason: int = 3,
    progress: Callable[[int, int], None] | None = None,
) -> RuleRun:
    """Apply ``steps`` in order, ``CHUNK`` records at a time; ``progress(done, total)`` after each full chunk.

    Kept records carry their rewritten texts, and their lineage lists the rewrites as
    ``{stage: ["field:name", ...]}`` plus each rewrite's note; rejections keep the texts as they
    entered the stage, which is what a reviewer needs to see.
    """
    state = _RunState(records, steps)
    for start in range(0, len(records), CHUNK):
        done = min(start + CHUNK, len(records))
        state.run_chunk(start, done)
        if progress is not None and done % CHUNK == 0:
            progress(done, len(records))
    return state.result(stage, examples_per_reason)


class _RunState:
    """Per input record: its current texts, reason and detail, and the rewrites it went through."""

    def __init__(self, records: pd.DataFrame, steps: Sequence[Step]) -> None:
        self.records, self.steps = records, steps
        self.texts = {name: records[name].fillna("").to_numpy(dtype=object) for name in TEXT_FIELDS}
        self.rewritten = {name: np.zeros(len(records), dtype=bool) for name in TEXT_FIELDS}
        self.context = {name: records[name].to_numpy() for name in records.columns if name not in TEXT_FIELDS}
        self.reasons = np.full(len(records), None, dtype=object)
        self.details = np.full(len(records), None, dtype=object)
        self.transforms: dict[int, list[str]] = {}  # row -> the rewrites that changed it (few rows)
        self.notes: dict[str, list] = {step.name: [None] * len(records) for step in steps if isinstance(step, Rewrite)}

    def batch(self, rows: np.ndarray) -> pd.DataFrame:
        columns = {name: values[rows] for name, values in self.context.items()}
        columns.update({name: values[rows] for name, values in self.texts.items()})
        return pd.DataFrame(columns, copy=False)

    def run_chunk(self, start: int, stop: int) -> None:
        pending = np.arange(start, stop)
        for step in self.steps:
            if not len(pending):
                return
            batch = self.batch(pending)
            if isinstance(step, Rewrite):
                verdicts = self._rewrite(step, batch, pending)
            else:
                verdicts = step.judge(batch)
            if verdicts is None:
                continue
            dropped = verdicts.dropped
            self.reasons[pending[dropped]] = verdicts.reasons[dropped]
            self.details[pending[dropped]] = verdicts.details[dropped]
            pending = pending[~dropped]

    def _rewrite(self, step: Rewrite, batch: pd.DataFrame, pending: np.ndarray) -> Verdicts | None:
        rewritten = step.rewrite(batch)
        for name, new_texts in rewritten.texts.items():
            old_texts = self.texts[name][pending]
            # A rewrite returns the very str it was given when it has nothing to do: most texts.
            replaced = np.fromiter(map(operator.is_not, old_texts, new_texts), dtype=bool, count=len(pending))
            for place in np.flatnonzero(replaced):
                old, new = old_texts[place], new_texts[place]
                if new != old:
                    row = pending[place]
                    self.texts[name][row] = new
                    self.rewritten[name][row] = True
                    self.transforms.setdefault(row, []).append(f"{name}:{step.name}")
        if rewritten.notes is not None:
            notes = self.notes[step.name]
            for place, note in enumerate(rewritten.notes):
                notes[pending[place]] = note or None
        return rewritten.verdicts

    def result(self, stage: str, examples_per_reason: int) -> RuleRun:
        records = self.records
        dropped = pd.notna(self.reasons)
        kept_rows = np.flatnonzero(~dropped)
        kept = records.iloc[kept_rows].copy()
        for name, values in self.texts.items():
            rewritten = self.rewritten[name][kept_rows]
            if rewritten.any():
                kept[name] = np.where(rewritten, values[kept_rows], kept[name].to_numpy(dtype=object))
        lineages = records["lineage"].to_numpy()
        # Only rows a rewrite changed or annotated get a new lineage: the rest keep theirs as they are.
        touched = set(self.transforms)
        for notes in self.notes.values():
            touched.update(row for row, note in enumerate(notes) if note)
        if touched:
            new_lineages = lineages[kept_rows].copy()
            for place in np.flatnonzero(np.isin(kept_rows, np.fromiter(touched, dtype=np.int64, count=len(touched)))):
                row = kept_rows[place]
                new_lineages[place] = self._lineage(row, lineages[row], stage)
            kept["lineage"] = new_lineages
        rejected = records[dropped].assign(reason=self.reasons[dropped], detail=self.details[dropped])
        run = RuleRun(as_records(kept), as_rejections(rejected, stage), notes=self.notes, kept_rows=kept_rows)
        for transforms in self.transforms.values():
            run.rewrites.update({transform.split(":", 1)[1] for transform in transforms})
        for row in np.flatnonzero(dropped):
            reason = self.reasons[row]
            run.drops[reason] += 1
            shown = run.examples.setdefault(reason, [])
            if len(shown) < examples_per_reason:
                shown.append(self._example(row))
        return run

    def _lineage(self, row: int, lineage_json: str, stage: str) -> str:
        notes = {name: notes[row] for name, notes in self.notes.items() if notes[row]}
        transforms = self.transforms.get(row)
        if not transforms and not notes:
            return lineage_json
        lineage = json.loads(lineage_json)
        if transforms:
            lineage[stage] = transforms
        lineage.update(notes)
        return json.dumps(lineage, sort_keys=True, ensure_ascii=False)

    def _example(self, row: int) -> dict:
        return {"record_id": self.context["record_id"][row], "source": self.context["source"][row],
                "detail": self.details[row], "instruction": excerpt(self.texts["instruction"][row]),
                "response": excerpt(self.texts["response"][row])}


def excerpt(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
