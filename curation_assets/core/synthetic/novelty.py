"""Novelty as in Self-Instruct: a new instruction is kept only when its ROUGE-L F-measure against
every seed and every instruction kept before it stays below a threshold (0.7 in the paper).

ROUGE-L needs an LCS per pair. Most pairs share few words, so a bound skips them exactly: the LCS
is at most the size of the pairs' multiset word overlap, so F <= 2*overlap/(len_a+len_b). Only
pairs whose bound reaches the threshold pay for the LCS. Same answers as the all-pairs LCS.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from curation_assets.core.text.tokens import words


def lcs_length(a: list[str], b: list[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if token == other else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    lcs = lcs_length(a, b)
    return 0.0 if lcs == 0 else 2 * lcs / (len(a) + len(b))


@dataclass
class NoveltyVerdict:
    novel: bool
    score: float  # the highest ROUGE-L found (or a bound below the threshold)
    closest: str | None


class NoveltyFilter:
    """Accepts instructions in order; each is compared with the seeds and everything accepted so far."""

    def __init__(self, seeds: list[str], threshold: float = 0.7) -> None:
        self.threshold = threshold
        self._texts: list[str] = []
        self._words: list[list[str]] = []
        self._bags: list[Counter] = []
        for seed in seeds:
            self._add(seed)
        self.lcs_computed = 0

    def _add(self, text: str) -> None:
        added = words(text)
        self._texts.append(text)
        self._words.append(added)
        self._bags.append(Counter(added))

    def check(self, text: str) -> NoveltyVerdict:
        candidate = words(text)
        if not candidate:
            return NoveltyVerdict(False, 1.0, None)
        bag = Counter(candidate)
        best, closest = 0.0, None
        for other_text, other_words, other_bag in zip(self._texts, self._words, self._bags):
            total = len(candidate) + len(other_words)
            overlap = sum((bag & other_bag).values())
            if 2 * overlap / total < self.threshold:
                continue
            self.lcs_computed += 1
            score = rouge_l(candidate, other_words)
            if score > best:
                best, closest = score, other_text
                if best >= self.threshold:
                    break
        return NoveltyVerdict(best < self.threshold, best, closest)

    def accept_if_novel(self, text: str) -> NoveltyVerdict:
        verdict = self.check(text)
        if verdict.novel:
            self._add(text)
        return verdict


def novel_naive(candidates: list[str], seeds: list[str], threshold: float = 0.7) -> list[bool]:
    """The all-pairs baseline (every pair pays for an LCS); the benchmark checks both agree."""
    kept = [words(seed) for seed in seeds]
    verdicts = []
    for text in candidates:
        candidate = words(text)
        novel = bool(candidate) and all(rouge_l(candidate, other) < threshold for other in kept)
        verdicts.append(novel)
        if novel:
            kept.append(candidate)
    return verdicts
