"""Responses that repeat themselves: Gopher's repetition rules (Rae et al. 2021, table A1).

A response is rejected (reason ``repetition``) when one rule's measure exceeds its maximum:

- the share of lines (paragraphs) that repeat an earlier line (paragraph), and the share of the
  text's characters in such repeats;
- for n = 2..4, the share of characters in the most frequent n-gram's occurrences;
- for n = 5..10, the share of characters in n-grams that repeat an earlier n-gram.

Measures follow the reference implementation in datatrove's GopherRepetitionFilter. The n-gram
rules apply only to responses of at least ``min_words_for_ngram_rules`` words: in a short answer
a repeated phrase is normal, not degenerate generation.
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from curation_assets.core.dedup.settings import RepetitionConfig
from curation_assets.core.records import as_records, as_rejections
from curation_assets.core.stage_result import StageResult

STAGE = "dedup"
REASON = "repetition"
_LINE_BREAKS = re.compile(r"\n+")
_PARAGRAPH_BREAKS = re.compile(r"\n{2,}")


def repeated_items(items: list[str]) -> tuple[int, int]:
    """How many items repeat an earlier one, and their characters."""
    seen: set[str] = set()
    count = chars = 0
    for item in items:
        if item in seen:
            count += 1
            chars += len(item)
        else:
            seen.add(item)
    return count, chars


def _top_ngram_chars(words: list[str], n: int) -> int:
    ngrams = Counter(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    if not ngrams:
        return 0
    ngram, count = ngrams.most_common(1)[0]
    return len(ngram) * count if count > 1 else 0


def _repeated_ngram_chars(words: list[str], n: int) -> int:
    seen: set[str] = set()
    chars = 0
    index = 0
    while index < len(words) - n + 1:
        ngram = "".join(words[index : index + n])
        if ngram in seen:
            chars += len(ngram)
            index += n
        else:
            seen.add(ngram)
            index += 1
    return chars


def repetition_finding(text: str, settings: RepetitionConfig) -> str | None:
    """The first rule ``text`` breaks, as 'measure value > maximum', or None."""
    text = text.strip()
    if not text:
        return None
    total_chars = len(text)

    def over(name: str, value: float, maximum: float | None) -> str | None:
        return f"{name} {value:.2f} > {maximum:.2f}" if maximum is not None and value > maximum else None

    lines = [line for line in _LINE_BREAKS.split(text) if line.strip()]
    paragraphs = [part for part in _PARAGRAPH_BREAKS.split(text) if part.strip()]
    for unit, items, max_share, max_chars in (
        ("line", lines, settings.max_duplicate_line_fraction, settings.max_duplicate_line_char_fraction),
        ("paragraph", paragraphs, settings.max_duplicate_paragraph_fraction,
         settings.max_duplicate_paragraph_char_fraction),
    ):
        count, chars = repeated_items(items)
        finding = over(f"duplicate_{unit}_fraction", count / len(items), max_share) or over(
            f"duplicate_{unit}_char_fraction", chars / total_chars, max_chars
        )
        if finding:
            return finding

    words = text.split()
    if len(words) < settings.min_words_for_ngram_rules:
        return None
    for n, maximum in sorted(settings.max_top_ngram_char_fraction.items()):
        finding = over(f"top_{n}gram_char_fraction", _top_ngram_chars(words, n) / total_chars, maximum)
        if finding:
            return finding
    shortest = min(settings.max_duplicate_ngram_char_fraction, default=0)
    if shortest and len(set(zip(*(words[i:] for i in range(shortest))))) == len(words) - shortest + 1:
        return None  # no n-gram of the shortest length repeats, so no longer one does
    for n, maximum in sorted(settings.max_duplicate_ngram_char_fraction.items()):
        finding = over(f"duplicate_{n}gram_char_fraction", _repeated_ngram_chars(words, n) / total_chars, maximum)
        if finding:
            return finding
    return None


def repetition_filter(records: pd.DataFrame, settings: RepetitionConfig) -> StageResult:
    findings = records["response"].fillna("").map(lambda text: repetition_finding(text, settings))
    flagged = findings.notna() if settings.enabled else pd.Series(False, index=records.index)
    rejected = records[flagged].assign(reason=REASON, detail="response " + findings[flagged].astype(str))
    return StageResult(as_records(records[~flagged]), as_rejections(rejected, STAGE))
