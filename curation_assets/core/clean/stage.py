"""Cleaning: rewrite formatting and PII, then drop records that fail a rule, each with its own reason.

Cleaning rewrites text in place and keeps the record id, so a cleaned record still traces back
to the line it was loaded from; the rewrites applied are appended to its lineage. The order:

1. rewrites, per field: HTML to text, mojibake repair, Markdown to text (configured fields),
   whitespace and control characters;
2. empty or too-short instruction / response (``empty_instruction``, ``instruction_too_short``, ...);
3. PII: redacted with typed placeholders, or the record dropped (``pii``), as its source says;
4. quality heuristics on the response (``too_long``, ``too_few_words``, ``refusal``, ...);
5. language (``language``), blocklist (``blocklist``), then the optional classifier (``unsafe_classifier``).

A record is rejected by the first rule it fails.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.clean.settings import CleanConfig
from curation_assets.core.clean import quality
from curation_assets.core.text.html_text import contains_html, html_to_text
from curation_assets.core.text.language import language_violation
from curation_assets.core.text.markdown_text import strip_markdown
from curation_assets.core.clean.pii import PiiScanner, redact
from curation_assets.core.records import TEXT_FIELDS, as_records, as_rejections, empty_rejections
from curation_assets.core.stage_result import StageResult
from curation_assets.core.text.unicode_repair import repair_unicode
from curation_assets.core.clean.unsafe import Classifier, blocklisted, classify, compile_blocklist, load_classifier, read_blocklist_file

STAGE = "clean"
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")
# C0/C1 control characters except tab and newline, zero-width characters and BOM go; no-break space becomes a space.
_WHITESPACE_TABLE = {
    **dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]),
    **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff")),
    0xA0: " ",
}
_TRANSLATED = re.compile("[" + "".join(re.escape(chr(code)) for code in _WHITESPACE_TABLE) + "]")


def normalize_whitespace(text: str) -> str:
    """Unix newlines, no control or zero-width characters, no trailing spaces, at most one blank line.

    Leading indentation survives: it carries meaning in code.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _TRANSLATED.search(text):  # translate() looks up every character; most texts need none of it
        text = text.translate(_WHITESPACE_TABLE)
    if " \n" in text or "\t\n" in text:
        text = _TRAILING_SPACE.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def rewrite_text(text: str, field_name: str, settings: CleanConfig) -> tuple[str, list[str]]:
    """The text after the formatting rewrites, and the names of those that changed it."""
    applied = []
    if settings.strip_html and contains_html(text):
        text = html_to_text(text)
        applied.append("html_stripped")
    if settings.fix_unicode:
        repaired = repair_unicode(text)
        if repaired != text:
            applied.append("unicode_repaired")
        text = repaired
    if field_name in settings.strip_markdown:
        stripped = strip_markdown(text)
        if stripped != text:
            applied.append("markdown_stripped")
        text = stripped
    if settings.normalize_whitespace:
        normalized = normalize_whitespace(text)
        if normalized != text:
            applied.append("whitespace_normalized")
        text = normalized
    return text, applied


@dataclass
class CleanPlan:
    """Everything the clean stage needs, resolved once: settings, per-source PII action, compiled rules."""

    settings: CleanConfig
    pii_actions: dict[str, str] = field(default_factory=dict)  # source → redact | drop | keep (default redact)
    blocklist_terms: list[str] = field(default_factory=list)
    classifier: Classifier | None = None

    def __post_init__(self) -> None:
        pii = self.settings.pii
        engine = self.settings.prefilter
        self.pii_scanner = PiiScanner(pii.types, engine, pii.secret_min_entropy,
                                      pii.secret_hex_min_entropy) if pii.enabled else None
        self.refusal = quality.compile_patterns(self.settings.quality.refusal, engine)
        self.placeholder = quality.compile_patterns(self.settings.quality.placeholder, engine)
        self.blocklist = compile_blocklist(self.blocklist_terms, engine)
        self.allowed_languages = frozenset(code.lower() for code in self.settings.language.allowed)

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
class RecordOutcome:
    fields: dict[str, str]
    transforms: list[str]
    pii_found: Counter
    reason: str | None = None
    detail: str | None = None


def _length_rejection(fields: dict[str, str], settings: CleanConfig) -> tuple[str, str] | None:
    # Instruction first: a record with neither is reported as empty_instruction.
    for name, minimum in (("instruction", settings.min_instruction_chars), ("response", settings.min_response_chars)):
        chars = len(fields[name])
        if chars < minimum:
            reason = f"empty_{name}" if chars == 0 else f"{name}_too_short"
            return reason, f"{name} has {chars} chars after cleaning, minimum {minimum}"
    return None


def _quality_rejection(fields: dict[str, str], plan: CleanPlan) -> tuple[str, str] | None:
    rules = plan.settings.quality
    response = fields["response"]
    if rules.too_long.enabled and (detail := quality.too_long(fields, rules.too_long)):
        return "too_long", detail
    if rules.word_count.enabled and (verdict := quality.word_count(response, rules.word_count)):
        return verdict
    if rules.mean_word_length.enabled and (detail := quality.mean_word_length(response, rules.mean_word_length)):
        return "mean_word_length", detail
    if rules.symbol_ratio.enabled and (detail := quality.symbol_ratio(response, rules.symbol_ratio)):
        return "symbol_ratio", detail
    if rules.repetition.enabled and (verdict := quality.repetition(response, rules.repetition)):
        return verdict
    if rules.restated_instruction.enabled and (
        detail := quality.restated_instruction(fields["instruction"], response, rules.restated_instruction)
    ):
        return "restated_instruction", detail
    if rules.refusal.enabled and (detail := quality.pattern_match(response, plan.refusal)):
        return "refusal", detail
    if rules.placeholder.enabled and (detail := quality.pattern_match(response, plan.placeholder)):
        return "placeholder", detail
    return None


def _content_rejection(fields: dict[str, str], plan: CleanPlan) -> tuple[str, str] | None:
    language = plan.settings.language
    if language.enabled:
        text = "\n".join(fields[name] for name in language.fields if fields[name])[: language.sample_chars]
        if detail := language_violation(text, plan.allowed_languages, language.min_chars):
            return "language", detail
    if plan.blocklist is not None:
        for name in TEXT_FIELDS:
            if detail := blocklisted(fields[name], plan.blocklist):
                return "blocklist", f"{detail} in {name}"
    return None


def clean_record(fields: dict[str, str], source: str, plan: CleanPlan) -> RecordOutcome:
    """One record through every rewrite and rule (the batch classifier aside)."""
    settings = plan.settings
    cleaned, transforms = {}, []
    for name in TEXT_FIELDS:
        cleaned[name], applied = rewrite_text(fields[name] or "", name, settings)
        transforms.extend(f"{name}:{rewrite}" for rewrite in applied)
    outcome = RecordOutcome(cleaned, transforms, Counter())

    if verdict := _length_rejection(cleaned, settings):
        outcome.reason, outcome.detail = verdict
        return outcome
    if plan.pii_scanner is not None and plan.pii_actions.get(source, "redact") != "keep":
        finds_by_field = {name: plan.pii_scanner.finds(cleaned[name]) for name in TEXT_FIELDS}
        for name, finds in finds_by_field.items():
            if finds:
                outcome.pii_found.update(find.type for find in finds)
                # Redacted even when the record is dropped: its excerpt may be shown in the asset's metadata.
                cleaned[name] = redact(cleaned[name], finds)
                transforms.append(f"{name}:pii_redacted")
        if outcome.pii_found and plan.pii_actions.get(source, "redact") == "drop":
            outcome.reason = "pii"
            outcome.detail = "PII found: " + ", ".join(f"{kind}×{count}" for kind, count in sorted(outcome.pii_found.items()))
            return outcome
    verdict = _quality_rejection(cleaned, plan) or _content_rejection(cleaned, plan)
    if verdict:
        outcome.reason, outcome.detail = verdict
    return outcome


@dataclass
class CleanReport:
    """What cleaning did, for the asset's metadata: rewrites, PII by type, drops and examples per rule."""

    rewrites: Counter = field(default_factory=Counter)  # rewrite name → records rewritten
    pii_by_type: Counter = field(default_factory=Counter)  # PII type → finds
    pii_records_redacted: int = 0
    pii_records_dropped: int = 0
    drops: Counter = field(default_factory=Counter)  # reason → records
    examples: dict[str, list[dict]] = field(default_factory=dict)

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
class CleanResult(StageResult):
    report: CleanReport = field(default_factory=CleanReport)


def _excerpt(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


PROGRESS_EVERY = 10_000


def clean_records(
    frame: pd.DataFrame,
    settings: CleanConfig | CleanPlan,
    progress: Callable[[int, int], None] | None = None,
) -> CleanResult:
    """Clean every record; ``progress(done, total)`` is told every PROGRESS_EVERY records."""
    plan = settings if isinstance(settings, CleanPlan) else CleanPlan(settings)
    report = CleanReport()
    if frame.empty:
        return CleanResult(as_records(frame), empty_rejections(STAGE), report)

    columns = {name: frame[name].tolist() for name in (*TEXT_FIELDS, "source", "lineage")}
    outcomes = []
    for row in range(len(frame)):
        outcomes.append(clean_record({name: columns[name][row] for name in TEXT_FIELDS}, columns["source"][row], plan))
        if progress is not None and (row + 1) % PROGRESS_EVERY == 0:
            progress(row + 1, len(frame))
    if plan.classifier is not None:
        _apply_classifier(outcomes, plan)

    cleaned = frame.copy()
    for name in TEXT_FIELDS:
        cleaned[name] = [outcome.fields[name] for outcome in outcomes]
    lineages = []
    for outcome, lineage_json in zip(outcomes, columns["lineage"]):
        lineage = json.loads(lineage_json)
        if outcome.transforms:
            lineage["clean"] = outcome.transforms
        if outcome.pii_found and outcome.reason is None:
            lineage["pii_redacted"] = dict(sorted(outcome.pii_found.items()))
        lineages.append(json.dumps(lineage, sort_keys=True, ensure_ascii=False))
    cleaned["lineage"] = lineages

    reasons = pd.Series([outcome.reason for outcome in outcomes], index=frame.index, dtype="string")
    details = pd.Series([outcome.detail for outcome in outcomes], index=frame.index, dtype="string")
    dropped_mask = reasons.notna().to_numpy()
    _fill_report(report, frame, outcomes, plan.settings.examples_per_rule)
    # Rejections keep the text as it entered the stage, which is what a reviewer needs to see.
    dropped = frame[dropped_mask].assign(reason=reasons[dropped_mask].to_numpy(), detail=details[dropped_mask].to_numpy())
    return CleanResult(as_records(cleaned[~dropped_mask]), as_rejections(dropped, STAGE), report)


def _apply_classifier(outcomes: list[RecordOutcome], plan: CleanPlan) -> None:
    unsafe = plan.settings.unsafe
    pending = [outcome for outcome in outcomes if outcome.reason is None]
    texts = ["\n\n".join(outcome.fields[name] for name in TEXT_FIELDS if outcome.fields[name]) for outcome in pending]
    scores = classify(texts, plan.classifier, unsafe.classifier) if texts else []
    for outcome, score in zip(pending, scores):
        if score >= unsafe.classifier_threshold:
            outcome.reason = "unsafe_classifier"
            outcome.detail = f"{unsafe.classifier} scored {score:.3f}, threshold {unsafe.classifier_threshold}"


def _fill_report(report: CleanReport, frame: pd.DataFrame, outcomes: list[RecordOutcome], examples: int) -> None:
    ids = frame["record_id"].tolist()
    sources = frame["source"].tolist()
    for row, outcome in enumerate(outcomes):
        report.rewrites.update({transform.split(":", 1)[1] for transform in outcome.transforms})
        report.pii_by_type.update(outcome.pii_found)
        if outcome.reason is None:
            report.pii_records_redacted += bool(outcome.pii_found)
            continue
        report.drops[outcome.reason] += 1
        report.pii_records_dropped += outcome.reason == "pii"
        shown = report.examples.setdefault(outcome.reason, [])
        if len(shown) < examples:
            shown.append({"record_id": ids[row], "source": sources[row], "detail": outcome.detail,
                          "instruction": _excerpt(outcome.fields["instruction"]),
                          "response": _excerpt(outcome.fields["response"])})
