"""Gopher's repetition measures (Rae et al. 2021, appendix A, table A1), defined once for every stage.

Definitions, as in the paper (datatrove's GopherRepetitionFilter is the reference implementation):

- the *text* is stripped of surrounding whitespace; every character fraction below is over its
  characters (``len(text)``), so all measures share one denominator;
- a *line* is a line that is not blank, compared and counted without its surrounding whitespace;
  a *paragraph* is a run of lines between blank lines, likewise;
- a *duplicate* line (paragraph) is one equal to an earlier line (paragraph): the first occurrence
  is not a duplicate. The duplicate line fraction is their number over all lines; the duplicate
  line character fraction is their characters over the text's;
- a *word* is a run of non-whitespace characters, case kept (``text.split()``); an *n-gram* is n
  consecutive words, and its characters are its words' characters plus one separator between
  consecutive words (the n-gram written with single spaces);
- the *top n-gram character fraction* (n = 2..4) is the share of characters inside the occurrences
  of the most frequent n-gram (ties: the longest, then the first); an n-gram seen once is not
  repeated, so it scores 0;
- the *duplicate n-gram character fraction* (n = 5..10) is the share of characters inside n-gram
  occurrences that repeat an earlier occurrence. Characters inside several such (overlapping)
  occurrences count once, as the paper asks; the top n-gram's overlapping occurrences likewise.

Every measure is computed for a batch of texts at once: the words of the whole batch are numbered
once and each n-gram becomes one integer (the (n-1)-gram's number paired with its last word), so
finding repeats is array work rather than a Python loop per n-gram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from curation_assets.core.rules import Rule, Verdicts
from curation_assets.core.settings import Rule as RuleSettings

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _duplicates(items: list[str]) -> tuple[int, int]:
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


def _unit_fractions(texts: Sequence[str], split: Callable[[str], list[str]]) -> tuple[np.ndarray, np.ndarray]:
    fractions, char_fractions = np.zeros(len(texts)), np.zeros(len(texts))
    for row, text in enumerate(texts):
        text = text.strip()
        if "\n" not in text:
            continue  # one line, one paragraph: nothing can repeat
        items = [stripped for stripped in map(str.strip, split(text)) if stripped]
        if len(set(items)) == len(items):
            continue  # nothing repeats: both fractions 0, as counted
        count, chars = _duplicates(items)
        fractions[row], char_fractions[row] = count / len(items), chars / len(text)
    return fractions, char_fractions


def _split_lines(text: str) -> list[str]:
    return text.split("\n")


def duplicate_line_fractions(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per text: (duplicate lines / lines, their characters / the text's characters)."""
    return _unit_fractions(texts, _split_lines)


def duplicate_paragraph_fractions(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per text: (duplicate paragraphs / paragraphs, their characters / the text's characters)."""
    return _unit_fractions(texts, _PARAGRAPH_BREAK.split)


class NGrams:
    """The words of a batch of texts, numbered so that every n-gram is one integer.

    Words of all texts are laid end to end (``text_of[position]`` says whose). An n-gram is named by
    its first position; ``codes(n)`` numbers each position's n-gram (equal n-grams of the same text,
    equal numbers) and gives a fresh number to positions where no n-gram of that text starts.
    """

    def __init__(self, text_of: np.ndarray, words: np.ndarray, lengths: np.ndarray, text_chars: np.ndarray,
                 vocabulary: int, codes: dict[int, np.ndarray] | None = None) -> None:
        self.text_of, self.lengths, self.text_chars = text_of, lengths, text_chars
        self._words, self._vocabulary = words, max(vocabulary, 1)
        self._length_sums = np.concatenate([[0], np.cumsum(lengths)])
        self._codes = codes or {}

    @classmethod
    def of(cls, texts: Sequence[str]) -> "NGrams":
        words = [text.split() for text in texts]
        counts = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        flat = list(chain.from_iterable(words))
        numbers = pd.factorize(np.asarray(flat, dtype=object))[0] if flat else np.zeros(0, dtype=np.int64)
        return cls(np.repeat(np.arange(len(texts)), counts), numbers,
                   np.fromiter(map(len, flat), dtype=np.int64, count=len(flat)),
                   np.fromiter((len(text.strip()) for text in texts), dtype=np.float64, count=len(texts)),
                   int(numbers.max(initial=-1)) + 1)

    def subset(self, keep: np.ndarray) -> "NGrams":
        """The words of the texts where ``keep`` is true, renumbered from 0.

        The n-gram numbers computed so far carry over: all occurrences of a number are in one text,
        so in the texts kept they still come in order of first appearance.
        """
        positions = keep[self.text_of]
        text_of = (np.cumsum(keep) - 1)[self.text_of[positions]]
        return NGrams(text_of, self._words[positions], self.lengths[positions], self.text_chars[keep], self._vocabulary,
                      {n: codes[positions] for n, codes in self._codes.items()})

    def repeated_bigram_bound(self) -> np.ndarray:
        """Per text: the share of characters inside the occurrences of its 2-grams that occur twice or more.

        It bounds every top and duplicate n-gram fraction (n >= 2): each 2-gram inside an occurrence of
        a repeated n-gram also occurs where the n-gram's other occurrence is.
        """
        codes = self.codes(2)
        return self.covered_fractions(self.valid(2) & (np.bincount(codes)[codes] > 1), 2)

    def _per_text_fraction(self, chars: np.ndarray) -> np.ndarray:
        return np.divide(chars, self.text_chars, out=np.zeros(len(self.text_chars)), where=self.text_chars > 0)

    def __len__(self) -> int:
        return len(self.lengths)

    def valid(self, n: int) -> np.ndarray:
        """Positions where an n-gram of one text starts."""
        size = len(self)
        valid = np.zeros(size, dtype=bool)
        if size >= n:
            valid[: size - n + 1] = self.text_of[: size - n + 1] == self.text_of[n - 1:]
        return valid

    def codes(self, n: int) -> np.ndarray:
        if n == 1 and n not in self._codes:
            self._codes[1] = pd.factorize(self.text_of * self._vocabulary + self._words)[0]
        if n not in self._codes:
            shorter = self.codes(n - 1)
            inside = np.flatnonzero(self.valid(n))
            keys = -1 - np.arange(len(self), dtype=np.int64)  # where no n-gram starts: distinct, never a repeat
            keys[inside] = shorter[inside] * self._vocabulary + self._words[inside + n - 1]
            self._codes[n] = pd.factorize(keys)[0]
        return self._codes[n]

    def ngram_chars(self, n: int) -> np.ndarray:
        """Characters of the n-gram starting at each valid position (words plus n-1 separators)."""
        ends = np.minimum(np.arange(len(self)) + n, len(self))
        return self._length_sums[ends] - self._length_sums[: len(self)] + (n - 1)

    def covered_fractions(self, occurrences: np.ndarray, n: int) -> np.ndarray:
        """Per text: characters inside the n-gram occurrences starting at ``occurrences`` (a mask), counted once."""
        size = len(self)
        word_depth = np.zeros(size + 1, dtype=np.int64)
        gap_depth = np.zeros(size + 1, dtype=np.int64)
        starts = np.flatnonzero(occurrences)
        np.add.at(word_depth, starts, 1)
        np.add.at(word_depth, starts + n, -1)
        np.add.at(gap_depth, starts, 1)
        np.add.at(gap_depth, starts + n - 1, -1)  # gap j lies between words j and j + 1
        covered = self.lengths * (np.cumsum(word_depth[:size]) > 0) + (np.cumsum(gap_depth[:size]) > 0)
        return self._per_text_fraction(np.bincount(self.text_of, weights=covered, minlength=len(self.text_chars)))

    def top_fractions(self, n: int) -> np.ndarray:
        codes = self.codes(n)
        frequency = np.bincount(codes)[codes]
        repeated = self.valid(n) & (frequency > 1)
        # The most frequent n-gram, then the longest (one number: frequency, then characters) ...
        rank = np.where(repeated, frequency << 32 | self.ngram_chars(n), -1)
        best = np.full(len(self.text_chars), -1, dtype=np.int64)
        np.maximum.at(best, self.text_of, rank)
        ranked_best = repeated & (rank == best[self.text_of])
        # ... then the first seen: n-grams are numbered in order of first appearance.
        first = np.full(len(self.text_chars), np.iinfo(np.int64).max)
        np.minimum.at(first, self.text_of[ranked_best], codes[ranked_best])
        return self.covered_fractions(ranked_best & (codes == first[self.text_of]), n)

    def duplicate_fractions(self, n: int) -> np.ndarray:
        codes = self.codes(n)
        running_max = np.maximum.accumulate(codes) if len(codes) else codes
        earlier_max = np.concatenate([[-1], running_max[:-1]])
        repeat = self.valid(n) & (codes <= earlier_max)  # codes are numbered in order of first appearance
        return self.covered_fractions(repeat, n)


def top_ngram_char_fractions(texts: Sequence[str], n: int) -> np.ndarray:
    return NGrams.of(texts).top_fractions(n)


def duplicate_ngram_char_fractions(texts: Sequence[str], n: int) -> np.ndarray:
    return NGrams.of(texts).duplicate_fractions(n)


class RepetitionLimits(RuleSettings):
    """The maximum of each measure (null or absent: not checked), as the dedup and clean stages configure it."""

    max_duplicate_line_fraction: float | None = Field(default=None, ge=0.0, le=1.0)
    max_duplicate_line_char_fraction: float | None = Field(default=None, ge=0.0, le=1.0)
    max_duplicate_paragraph_fraction: float | None = Field(default=None, ge=0.0, le=1.0)
    max_duplicate_paragraph_char_fraction: float | None = Field(default=None, ge=0.0, le=1.0)
    # n -> maximum; empty: off.
    max_top_ngram_char_fraction: dict[int, float] = {}
    max_duplicate_ngram_char_fraction: dict[int, float] = {}
    min_words: int = Field(default=1, ge=1, description="texts with fewer words are not judged at all")
    # The n-gram rules judge prose; a short answer repeats words without being degenerate.
    min_words_for_ngram_rules: int = Field(default=50, ge=1)

    @field_validator("max_top_ngram_char_fraction", "max_duplicate_ngram_char_fraction")
    @classmethod
    def _ngrams_of_two_words_or_more(cls, maximums: dict[int, float]) -> dict[int, float]:
        if any(n < 2 for n in maximums):
            raise ValueError(f"n-gram sizes must be 2 or more (Gopher: 2-4 and 5-10), got {sorted(maximums)}")
        return maximums


@dataclass(frozen=True)
class Excess:
    """A measure above its maximum."""

    measure: str  # e.g. duplicate_line_fraction, top_2gram_char_fraction
    value: float
    maximum: float

    @property
    def of_ngrams(self) -> bool:
        return "gram" in self.measure

    def __str__(self) -> str:
        return f"{self.measure} {self.value:.2f} > {self.maximum:.2f}"


def first_excesses(texts: Sequence[str], limits: RepetitionLimits) -> list[Excess | None]:
    """Per text, the first measure above its maximum (lines, paragraphs, top n-grams, duplicate n-grams), or None."""
    found: list[Excess | None] = [None] * len(texts)
    top, duplicate = sorted(limits.max_top_ngram_char_fraction.items()), sorted(limits.max_duplicate_ngram_char_fraction.items())
    from curation_assets.core.text import batch_measures

    word_counts, _ = batch_measures.split_word_stats_of(texts)
    judged = word_counts >= limits.min_words

    def record(measure: str, values: np.ndarray, maximum: float | None, rows: np.ndarray) -> None:
        if maximum is None:
            return
        for place in np.flatnonzero(values > maximum):
            row = rows[place]
            if found[row] is None:
                found[row] = Excess(measure, float(values[place]), maximum)

    rows = np.flatnonzero(judged)
    subset = [texts[row] for row in rows]
    for unit, fractions in (("line", duplicate_line_fractions), ("paragraph", duplicate_paragraph_fractions)):
        share_max = getattr(limits, f"max_duplicate_{unit}_fraction")
        chars_max = getattr(limits, f"max_duplicate_{unit}_char_fraction")
        if share_max is not None or chars_max is not None:
            share, chars = fractions(subset)
            record(f"duplicate_{unit}_fraction", share, share_max, rows)
            record(f"duplicate_{unit}_char_fraction", chars, chars_max, rows)

    if not (top or duplicate):
        return found
    undecided = np.array([excess is None for excess in found], dtype=bool)
    long_enough = judged & undecided & (word_counts >= limits.min_words_for_ngram_rules)
    # Most texts repeat few 2-grams: those within the smallest maximum cannot break an n-gram rule.
    # First a bound per text from its words (cheap), then, for the few texts it cannot clear, the
    # exact share of characters in repeated 2-grams. Every measure is per text, so numbering only
    # those texts' words gives each the values it would get in the whole batch.
    smallest_maximum = min(maximum for _, maximum in (*top, *duplicate))
    rows = np.flatnonzero(long_enough)
    bound_chars = batch_measures.repeated_bigram_chars(batch_measures.EncodedTexts.of([texts[row] for row in rows]))
    text_chars = np.fromiter((len(texts[row].strip()) for row in rows), dtype=np.float64, count=len(rows))
    rows = rows[bound_chars / text_chars > smallest_maximum]
    grams = NGrams.of([texts[row] for row in rows])
    worth = grams.repeated_bigram_bound() > smallest_maximum
    rows, grams = rows[worth], grams.subset(worth)
    for n, maximum in top:
        record(f"top_{n}gram_char_fraction", grams.top_fractions(n), maximum, rows)
    for index, (n, maximum) in enumerate(duplicate):
        fractions = grams.duplicate_fractions(n)
        record(f"duplicate_{n}gram_char_fraction", fractions, maximum, rows)
        # A repeat of a longer n-gram is a repeat of the shorter ones inside it: fractions only fall
        # as n grows, so texts below every later maximum are done.
        later = [later_maximum for _, later_maximum in duplicate[index + 1:]]
        if not later or not (fractions > min(later)).any():
            break
    return found


class GopherRepetition(Rule):
    """Drops a record whose ``field`` breaks one of ``limits``; detail: the field, the measure, value > maximum.

    ``ngram_reason`` gives the n-gram rules their own reason (the clean stage's ``repeated_ngrams``,
    beside ``repeated_lines``); by default every rule drops with ``reason``.
    """

    def __init__(self, name: str, limits: RepetitionLimits, field: str = "response", reason: str | None = None,
                 ngram_reason: str | None = None) -> None:
        self.name, self.limits, self.field = name, limits, field
        self.line_reason = reason or name
        self.ngram_reason = ngram_reason or self.line_reason

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.line_reason, self.ngram_reason)))

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        return Verdicts.of_pairs(
            None if excess is None else
            (self.ngram_reason if excess.of_ngrams else self.line_reason, f"{self.field} {excess}")
            for excess in first_excesses(batch[self.field].tolist(), self.limits)
        )
