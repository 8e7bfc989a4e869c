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
from curation_assets.core.rules import RuleRun, Step, run_rules

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
        steps: list[Step] = [*formatting_rewrites(settings), MinimumLength(settings)]
        if settings.pii.enabled:
            pii = settings.pii
            scanner = PiiScanner(pii.types, engine, pii.secret_min_entropy, pii.secret_hex_min_entropy)
            steps.append(PiiRedaction(scanner, self.pii_actions))
        steps.extend(quality_rules(settings.quality, engine))
        if settings.language.enabled:
            steps.append(Language(settings.language))
        blocklist = compile_blocklist(self.blocklist_terms, engine)
        if blocklist is not None:
            steps.append(Blocklist(blocklist))
        if self.classifier is not None:
            unsafe = settings.unsafe
            steps.append(UnsafeClassifier(self.classifier, unsafe.classifier, unsafe.classifier_threshold))
        self.steps = steps

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
        report = cls(rewrites=run.rewrites, drops=run.drops, examples=run.examples,
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
    return CleanResult(**vars(run), report=CleanReport.of(run))


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
