"""Cleaning: rewrite formatting and PII, then drop records that fail a rule, each with its own reason.

Cleaning rewrites text in place and keeps the record id, so a cleaned record still traces back
to the line it was loaded from; the rewrites applied are appended to its lineage. The stage is one
ordered list of steps (``core/rules.py``), run by ``run_rules``:

1. rewrites, per field: HTML to text, mojibake repair, Markdown to text (configured fields),
   whitespace and control characters (rewrites.py);
2. empty or too-short instruction / response (``empty_instruction``, ``instruction_too_short``, ...);
3. PII: redacted with typed placeholders, or the record dropped (``pii``), as its source says;
4. quality rules on the response (``too_long``, ``too_few_words``, ``refusal``, ...);
5. language (``language``), blocklist (``blocklist``), then the optional classifier (``unsafe_classifier``).

A record is rejected by the first rule it fails.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.clean.language import Language
from curation_assets.core.clean.pii import PiiScanner
from curation_assets.core.clean.quality import MinimumLength, quality_rules
from curation_assets.core.clean.redaction import PiiRedaction
from curation_assets.core.clean.rewrites import formatting_rewrites
from curation_assets.core.clean.settings import CleanConfig
from curation_assets.core.clean.unsafe import (Blocklist, Classifier, UnsafeClassifier, compile_blocklist,
                                               load_classifier, read_blocklist_file)
from curation_assets.core.clean.turns import clean_more_texts, has_more_texts
from curation_assets.core.records import as_rejections
from curation_assets.core.rules import RuleRun, Step, excerpt, run_rules

STAGE = "clean"


@dataclass
class CleanPlan:
    """Everything the clean stage needs, resolved once: settings, per-source PII action, its ordered steps."""

    settings: CleanConfig
    pii_actions: dict[str, str] = field(default_factory=dict)  # source → redact | drop | keep (default redact)
    blocklist_terms: list[str] = field(default_factory=list)
    classifier: Classifier | None = None

    def __post_init__(self) -> None:
        settings, engine = self.settings, self.settings.prefilter
        formatting = formatting_rewrites(settings)
        pii: list[Step] = []
        if settings.pii.enabled:
            scanner = PiiScanner(settings.pii.types, engine, settings.pii.secret_min_entropy,
                                 settings.pii.secret_hex_min_entropy)
            pii.append(PiiRedaction(scanner, self.pii_actions))
        content: list[Step] = []
        blocklist = compile_blocklist(self.blocklist_terms, engine)
        if blocklist is not None:
            content.append(Blocklist(blocklist))
        if self.classifier is not None:
            unsafe = settings.unsafe
            content.append(UnsafeClassifier(self.classifier, unsafe.classifier, unsafe.classifier_threshold))
        language = [Language(settings.language)] if settings.language.enabled else []
        self.steps: list[Step] = [*formatting, MinimumLength(settings), *pii, *quality_rules(settings.quality, engine),
                                  *language, *content]
        # A conversation's earlier turns and a pair's rejected answer (turns.py): what makes any text safe.
        self.more_text_steps: list[Step] = [*formatting, *pii, *content]

    @classmethod
    def from_config(cls, config: PipelineConfig, extra_sources: Iterable[str] = ()) -> "CleanPlan":
        """``extra_sources``: record sources beyond the configured names (inbox files, daily batch partitions)."""
        unsafe = config.clean.unsafe
        catalog = config.catalog()
        terms = list(unsafe.blocklist)
        for path in unsafe.blocklist_files:
            terms.extend(read_blocklist_file(config.resolve(path)))
        return cls(
            settings=config.clean,
            pii_actions={name: catalog.pii_action(name) for name in [*catalog.record_source_names(), *extra_sources]},
            blocklist_terms=terms,
            classifier=load_classifier(unsafe.classifier) if unsafe.classifier else None,
        )



@dataclass
class CleanReport:
    """What cleaning did, for the asset's metadata: rewrites, PII by type, drops and examples per rule."""

    rewrites: Counter = field(default_factory=Counter)  # rewrite name → records rewritten
    pii_by_type: Counter = field(default_factory=Counter)  # PII type → finds
    pii_records_redacted: int = 0
    pii_records_dropped: int = 0
    drops: Counter = field(default_factory=Counter)  # reason → records
    examples: dict[str, list[dict]] = field(default_factory=dict)

    @classmethod
    def of(cls, run: RuleRun) -> "CleanReport":
        report = cls(rewrites=Counter(run.rewrites), drops=Counter(run.drops), examples=dict(run.examples),
                     pii_records_dropped=run.drops.get("pii", 0))
        notes = run.notes.get(PiiRedaction.name, [])
        for note in notes:
            report.pii_by_type.update(note or {})
        report.pii_records_redacted = sum(bool(notes[row]) for row in run.kept_rows) if notes else 0
        return report

    @classmethod
    def merged(cls, reports: list["CleanReport"], examples_per_rule: int) -> "CleanReport":
        """One report for a table cleaned shard by shard: counts add up, examples are the first shards'."""
        total = cls()
        for report in reports:
            total.rewrites.update(report.rewrites)
            total.pii_by_type.update(report.pii_by_type)
            total.drops.update(report.drops)
            total.pii_records_redacted += report.pii_records_redacted
            total.pii_records_dropped += report.pii_records_dropped
            for reason, shown in report.examples.items():
                kept = total.examples.setdefault(reason, [])
                kept.extend(shown[: examples_per_rule - len(kept)])
        return total

    def as_metadata(self) -> dict:
        return {
            "rewrites": dict(sorted(self.rewrites.items())),
            "pii_by_type": dict(sorted(self.pii_by_type.items())),
            "pii_records_redacted": self.pii_records_redacted,
            "pii_records_dropped": self.pii_records_dropped,
            "drops_by_rule": dict(sorted(self.drops.items())),
            "dropped_examples": dict(sorted(self.examples.items())),
        }


@dataclass
class CleanResult(RuleRun):
    report: CleanReport = field(default_factory=CleanReport)


def clean_records(
    frame: pd.DataFrame,
    settings: CleanConfig | CleanPlan,
    progress: Callable[[int, int], None] | None = None,
) -> CleanResult:
    """Clean every record; ``progress(done, total)`` is told every 10,000 records."""
    plan = settings if isinstance(settings, CleanPlan) else CleanPlan(settings)
    run = run_rules(frame, plan.steps, STAGE, plan.settings.examples_per_rule, progress)
    result = CleanResult(**vars(run), report=CleanReport.of(run))
    if has_more_texts(run.kept).any():
        _clean_more_texts(result, frame, plan)
    return result


def _clean_more_texts(result: CleanResult, entered: pd.DataFrame, plan: CleanPlan) -> None:
    """Earlier turns and rejected answers through the steps for them; their drops join the stage's."""
    examples = plan.settings.examples_per_rule
    kept, dropped, run = clean_more_texts(result.kept, entered, plan.more_text_steps, STAGE, examples)
    result.kept = kept
    result.rejected = as_rejections(pd.concat([result.rejected, dropped], ignore_index=True), STAGE)
    report = result.report
    report.rewrites.update(run.rewrites)
    for reason, count in dropped["reason"].value_counts().items():
        report.drops[reason] += int(count)
        result.drops[reason] += int(count)
        shown = report.examples.setdefault(reason, [])
        for row in dropped[dropped["reason"] == reason].head(examples - len(shown)).itertuples(index=False):
            shown.append({"record_id": row.record_id, "source": row.source, "detail": row.detail,
                          "instruction": excerpt(row.instruction), "response": excerpt(row.response)})
    report.pii_records_dropped = report.drops.get("pii", 0)
    notes = run.notes.get(PiiRedaction.name, [])
    for note in notes:
        report.pii_by_type.update(note or {})
    report.pii_records_redacted += sum(_redacted_only_beyond_final_exchange(lineage)
                                       for lineage in kept["lineage"][has_more_texts(kept)])


def _redacted_only_beyond_final_exchange(lineage_json: str) -> bool:
    fields = {transform.split(":", 1)[0] for transform in json.loads(lineage_json).get(STAGE, [])
              if transform.endswith(f":{PiiRedaction.name}")}
    return bool(fields) and fields <= {"earlier_turns", "rejected_response"}


@dataclass
class ShardPlans:
    """The clean plan for each set of record sources a shard holds (PII actions depend on the source),
    compiled once per worker."""

    config: PipelineConfig
    plans: dict[tuple[str, ...], CleanPlan] = field(default_factory=dict)

    def for_sources(self, sources: tuple[str, ...]) -> CleanPlan:
        if sources not in self.plans:
            self.plans[sources] = CleanPlan.from_config(self.config, extra_sources=sources)
        return self.plans[sources]


def shard_plans(config: PipelineConfig) -> ShardPlans:
    return ShardPlans(config)


def clean_shard(shard: pd.DataFrame, plans: ShardPlans) -> tuple[CleanResult, CleanReport]:
    """One shard of the table cleaned: the result and its report, merged with the other shards' later."""
    result = clean_records(shard, plans.for_sources(tuple(sorted(set(shard["source"])))))
    return result, result.report
