"""Quality heuristics: each is a pure check that returns why a record fails, or None.

The rules judge the response, the text a model learns to write (length bounds judge every field).
Thresholds follow the Gopher rules (Rae et al. 2021) where they exist, widened where instruction
data differs from web pages: answers are short, and math and code have short or long "words".
"""

from __future__ import annotations

import re
from collections import Counter

from curation_assets.core.text.prefilter import PatternSet
from curation_assets.core.text.repetition import repeated_items
from curation_assets.core.clean.settings import MeanWordLengthRule, PatternRule, RepetitionRule, RestatedInstructionRule, SymbolRatioRule, TooLongRule, WordCountRule

_WORD = re.compile(r"\w+")
_HASH_RUNS = re.compile(r"#+")
_ELLIPSES = re.compile(r"\.\.\.|\u2026")


def too_long(fields: dict[str, str], rule: TooLongRule) -> str | None:
    for field, text in fields.items():
        if len(text) > rule.max_chars:
            return f"{field} has {len(text)} chars, maximum {rule.max_chars}"
    return None


def word_count(response: str, rule: WordCountRule) -> tuple[str, str] | None:
    """``(reason, detail)``: too_few_words or too_many_words."""
    count = len(response.split())
    if count < rule.min_words:
        return "too_few_words", f"response has {count} words, minimum {rule.min_words}"
    if count > rule.max_words:
        return "too_many_words", f"response has {count} words, maximum {rule.max_words}"
    return None


def mean_word_length(response: str, rule: MeanWordLengthRule) -> str | None:
    words = response.split()
    if len(words) < rule.min_words:
        return None
    mean = sum(map(len, words)) / len(words)
    if not rule.min_length <= mean <= rule.max_length:
        return f"mean word length {mean:.1f}, allowed {rule.min_length}-{rule.max_length}"
    return None


def symbol_ratio(response: str, rule: SymbolRatioRule) -> str | None:
    words = len(response.split())
    if words < rule.min_words:
        return None
    # Runs, not characters: a '### heading' or GSM8K's '#### 72' answer marker is one symbol.
    symbols = len(_HASH_RUNS.findall(response)) + len(_ELLIPSES.findall(response))
    ratio = symbols / words
    if ratio > rule.max_ratio:
        return f"{symbols} '#'/ellipsis symbols per {words} words = {ratio:.2f}, maximum {rule.max_ratio}"
    return None


def duplicate_line_fractions(text: str) -> tuple[float, float]:
    """(fraction of non-empty lines that repeat an earlier line, fraction of characters in them)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines:
        return 0.0, 0.0
    repeated, repeated_chars = repeated_items(lines)
    return repeated / len(lines), repeated_chars / sum(map(len, lines))


def top_ngram_char_fraction(words: list[str], n: int) -> float:
    """Characters in the most frequent n-gram's occurrences over all word characters (0 if none repeats)."""
    if len(words) < n:
        return 0.0
    counts = Counter(zip(*(words[i:] for i in range(n))))
    ngram, count = counts.most_common(1)[0]
    if count < 2:
        return 0.0
    return count * sum(map(len, ngram)) / sum(map(len, words))


def duplicate_ngram_char_fraction(words: list[str], n: int) -> float:
    """Characters covered by n-grams that already occurred earlier, over all word characters."""
    if len(words) < n:
        return 0.0
    seen: set[tuple[str, ...]] = set()
    covered_until = 0
    covered_chars = 0
    for start, ngram in enumerate(zip(*(words[i:] for i in range(n)))):
        if ngram in seen:
            for position in range(max(start, covered_until), start + n):
                covered_chars += len(words[position])
            covered_until = start + n
        else:
            seen.add(ngram)
    return covered_chars / sum(map(len, words))


def repetition(response: str, rule: RepetitionRule) -> tuple[str, str] | None:
    """``(reason, detail)``: repeated_lines or repeated_ngrams."""
    words = response.lower().split()
    if len(words) < rule.min_words:
        return None
    counts = Counter(words)
    repeated_word_chars = sum(len(word) * count for word, count in counts.items() if count > 1)
    line_fraction, line_char_fraction = duplicate_line_fractions(response)
    if line_fraction > rule.max_duplicate_line_fraction:
        return "repeated_lines", f"{line_fraction:.2f} of lines repeat, maximum {rule.max_duplicate_line_fraction}"
    if line_char_fraction > rule.max_duplicate_line_char_fraction:
        return ("repeated_lines",
                f"{line_char_fraction:.2f} of characters in repeated lines, maximum {rule.max_duplicate_line_char_fraction}")
    # Every word of a repeated n-gram occurrence is a repeated word: when repeated words hold fewer
    # characters than the smallest n-gram limit, no n-gram rule can fail and none is computed.
    limits = [*rule.max_top_ngram_char_fraction.values(), *rule.max_duplicate_ngram_char_fraction.values()]
    if repeated_word_chars / sum(len(word) * count for word, count in counts.items()) <= min(limits, default=1.0):
        return None
    for n, maximum in sorted(rule.max_top_ngram_char_fraction.items()):
        fraction = top_ngram_char_fraction(words, n)
        if fraction > maximum:
            return "repeated_ngrams", f"most frequent {n}-gram covers {fraction:.2f} of characters, maximum {maximum}"
    floor = min(rule.max_duplicate_ngram_char_fraction.values(), default=1.0)
    for n, maximum in sorted(rule.max_duplicate_ngram_char_fraction.items()):
        fraction = duplicate_ngram_char_fraction(words, n)
        if fraction > maximum:
            return "repeated_ngrams", f"duplicated {n}-grams cover {fraction:.2f} of characters, maximum {maximum}"
        if fraction <= floor:
            break  # positions in a repeated longer n-gram are in repeated shorter ones: no larger n can fail
    return None


def restated_instruction(instruction: str, response: str, rule: RestatedInstructionRule) -> str | None:
    response_words = _WORD.findall(response.lower())
    if len(response_words) < rule.min_words:
        return None
    instruction_words = _WORD.findall(instruction.lower())
    instruction_pairs = set(zip(instruction_words, instruction_words[1:]))
    response_pairs = list(zip(response_words, response_words[1:]))
    overlap = sum(pair in instruction_pairs for pair in response_pairs) / len(response_pairs)
    if overlap > rule.max_overlap:
        return f"{overlap:.2f} of the response's word pairs are in the instruction, maximum {rule.max_overlap}"
    return None


def compile_patterns(rule: PatternRule, engine: str = "hyperscan") -> PatternSet | None:
    return PatternSet(rule.patterns, engine) if rule.patterns else None


def pattern_match(response: str, patterns: PatternSet | None) -> str | None:
    if patterns is None:
        return None
    match = patterns.search(response.replace("\u2019", "'"))
    if match is None:
        return None
    return f"matched {match.group(0).strip()[:80]!r}"
