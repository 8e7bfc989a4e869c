"""Quality rules: each judges a batch of records and drops those that fail it, with its own reason.

The rules judge the response, the text a model learns to write (length bounds judge every field).
Thresholds follow the Gopher rules (Rae et al. 2021) where they exist, widened where instruction
data differs from web pages: answers are short, and math and code have short or long "words".
"""

from __future__ import annotations

import math
import operator
import re

import numpy as np
import pandas as pd

from curation_assets.core.clean.settings import (CleanConfig, MeanWordLengthRule, PatternRule, QualityConfig,
                                                 RestatedInstructionRule, SymbolRatioRule, TooLongRule, WordCountRule)
from curation_assets.core.records import TEXT_FIELDS
from curation_assets.core.rules import Rule, Verdicts
from curation_assets.core.text.prefilter import PatternSet
from curation_assets.core.text.repetition import GopherRepetition
from curation_assets.core.text.word_counts import max_word_count

_WORD = re.compile(r"\w+")


class MinimumLength(Rule):
    """Instruction and response must keep at least so many characters after the rewrites.

    Instruction first: a record with neither is reported as ``empty_instruction``.
    """

    name = "length"
    reasons = ("empty_instruction", "instruction_too_short", "empty_response", "response_too_short")

    def __init__(self, settings: CleanConfig) -> None:
        self.minimums = {"instruction": settings.min_instruction_chars, "response": settings.min_response_chars}

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        verdicts = Verdicts.keep_all(len(batch))
        for field, minimum in reversed(self.minimums.items()):  # the instruction's verdict overwrites
            lengths = batch[field].str.len().to_numpy()
            short = lengths < minimum
            verdicts.reasons[short] = np.where(lengths[short] == 0, f"empty_{field}", f"{field}_too_short")
            verdicts.details[short] = [f"{field} has {chars} chars after cleaning, minimum {minimum}"
                                       for chars in lengths[short]]
        return verdicts


class TooLong(Rule):
    name = "too_long"

    def __init__(self, rule: TooLongRule) -> None:
        self.max_chars = rule.max_chars

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        details = np.full(len(batch), None, dtype=object)
        for field in reversed(TEXT_FIELDS):  # the first field over the limit names the detail
            lengths = batch[field].str.len().to_numpy()
            over = lengths > self.max_chars
            details[over] = [f"{field} has {length} chars, maximum {self.max_chars}" for length in lengths[over]]
        return Verdicts.of(self.name, details)


class WordCount(Rule):
    name = "word_count"
    reasons = ("too_few_words", "too_many_words")

    def __init__(self, rule: WordCountRule) -> None:
        self.rule = rule

    def _verdict(self, count: int) -> tuple[str, str] | None:
        if count < self.rule.min_words:
            return "too_few_words", f"response has {count} words, minimum {self.rule.min_words}"
        if count > self.rule.max_words:
            return "too_many_words", f"response has {count} words, maximum {self.rule.max_words}"
        return None

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        from curation_assets.core.text.batch_measures import split_word_stats_of

        counts, _ = split_word_stats_of(batch["response"].tolist())
        failing = (counts < self.rule.min_words) | (counts > self.rule.max_words)
        return Verdicts.of_pairs(self._verdict(counts[row]) if failing[row] else None for row in range(len(counts)))


class MeanWordLength(Rule):
    name = "mean_word_length"

    def __init__(self, rule: MeanWordLengthRule) -> None:
        self.rule = rule

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        from curation_assets.core.text.batch_measures import split_word_stats_of

        words, word_chars = split_word_stats_of(batch["response"].tolist())
        details = np.full(len(words), None, dtype=object)
        judged = words >= self.rule.min_words
        mean = np.divide(word_chars, words, out=np.zeros(len(words)), where=judged)
        failing = judged & ((mean < self.rule.min_length) | (mean > self.rule.max_length))
        details[failing] = [f"mean word length {value:.1f}, allowed {self.rule.min_length}-{self.rule.max_length}"
                            for value in mean[failing]]
        return Verdicts.of(self.name, details)


class SymbolRatio(Rule):
    """Runs of '#' (a '### heading' or GSM8K's '#### 72' answer marker is one symbol) and ellipses
    ('...' non-overlapping, or '\u2026') per word of the response."""

    name = "symbol_ratio"

    def __init__(self, rule: SymbolRatioRule) -> None:
        self.rule = rule

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        from curation_assets.core.text.batch_measures import EncodedTexts, split_word_stats, symbol_counts

        texts = EncodedTexts.of(batch["response"].tolist())
        words, _ = split_word_stats(texts)
        symbols = symbol_counts(texts)
        details = np.full(len(words), None, dtype=object)
        judged = words >= self.rule.min_words
        ratio = np.divide(symbols, words, out=np.zeros(len(words)), where=judged)
        failing = judged & (ratio > self.rule.max_ratio)
        details[failing] = [f"{symbols[row]} '#'/ellipsis symbols per {words[row]} words = {ratio[row]:.2f}, "
                            f"maximum {self.rule.max_ratio}" for row in np.flatnonzero(failing)]
        return Verdicts.of(self.name, details)


class RestatedInstruction(Rule):
    name = "restated_instruction"

    def __init__(self, rule: RestatedInstructionRule) -> None:
        self.rule = rule

    def _cannot_restate(self, response: str, instruction: str) -> bool:
        """Whether the response's first words alone miss the instruction too often for an overlap above the maximum.

        Tokenizing both texts costs most of the rule, and a response that does not restate its
        instruction shows it within its first few dozen words: a word pair whose word is not even
        a substring of the instruction is surely not one of its pairs, and each such miss lowers
        the overlap by at least 1 / (an upper bound of the response's pairs), so that many misses
        settle it. The words of a prefix are the response's first words; only the last may be cut
        short, so it is dropped. ``response`` and ``instruction`` are lowercased.
        """
        pair_bound = max_word_count(response) - 1
        allowed_miss_share = 1.0 - self.rule.max_overlap
        needed_misses = max(1, math.ceil((allowed_miss_share + 1e-9) * pair_bound))
        prefix_chars = 8 * (needed_misses + 2)
        if prefix_chars >= len(response):
            return False  # short: the exact count is cheap
        in_instruction = list(map(instruction.__contains__, _WORD.findall(response, 0, prefix_chars)[:-1]))
        both_in = sum(map(operator.and_, in_instruction, in_instruction[1:]))  # C loops, no Python frame per word
        misses = max(len(in_instruction) - 1, 0) - both_in
        # Then misses / pairs >= misses / pair_bound > 1 - max_overlap: the overlap is below the maximum.
        return misses >= needed_misses and misses / pair_bound > allowed_miss_share + 1e-9

    def _detail(self, instruction: str, response: str, settled: bool = False) -> str | None:
        """``settled``: the response is known to have enough words and pairs to judge (no prefilter)."""
        response, instruction = response.lower(), instruction.lower()
        if not settled and self._cannot_restate(response, instruction):
            return None
        instruction_words = _WORD.findall(instruction)
        instruction_pairs = set(zip(instruction_words, instruction_words[1:]))
        response_words = _WORD.findall(response)
        if len(response_words) < max(self.rule.min_words, 2):  # one word has no pair to compare
            return None
        response_pairs = list(zip(response_words, response_words[1:]))
        overlap = sum(pair in instruction_pairs for pair in response_pairs) / len(response_pairs)
        if overlap > self.rule.max_overlap:
            return f"{overlap:.2f} of the response's word pairs are in the instruction, maximum {self.rule.max_overlap}"
        return None

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        """Most records are counted by one compiled pass over the batch (``restated_pair_hits``): its
        hit counts can only be too high (hashed pairs), so only records it puts above the maximum
        are judged again, exactly; those it cannot decide go through ``_detail`` with its prefilter."""
        from curation_assets.core.text.batch_measures import EncodedTexts, restated_pair_hits

        instructions, responses = batch["instruction"].tolist(), batch["response"].tolist()
        decided, words, hits = restated_pair_hits(EncodedTexts.of(instructions), EncodedTexts.of(responses))
        judged = decided & (words >= max(self.rule.min_words, 2))
        overlap = np.divide(hits, words - 1, out=np.zeros(len(words)), where=judged)
        details = np.full(len(words), None, dtype=object)
        for row in np.flatnonzero(judged & (overlap > self.rule.max_overlap)):
            details[row] = self._detail(instructions[row], responses[row], settled=True)
        for row in np.flatnonzero(~decided):
            details[row] = self._detail(instructions[row], responses[row])
        return Verdicts.of(self.name, details)


class PatternMatch(Rule):
    """Case-insensitive patterns searched in the response (typographic apostrophes read as ')."""

    def __init__(self, name: str, rule: PatternRule, engine: str = "hyperscan") -> None:
        self.name = name
        self.patterns = PatternSet(rule.patterns, engine) if rule.patterns else None

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        if self.patterns is None:
            return Verdicts.keep_all(len(batch))
        matches = self.patterns.search_batch([text.replace("\u2019", "'") for text in batch["response"]])
        return Verdicts.of(self.name, (None if match is None else f"matched {match.group(0).strip()[:80]!r}"
                                       for match in matches))


# A letter or e-mail written for the user ends with the user's own name, which the writer cannot
# know: a slot for it on the last line is the expected answer, not an unfilled template.
_SIGNATURE_SLOT = re.compile(r"[\[<]\s*your\s+(?:full\s+)?(?:name|title|position|signature)\s*[\]>]", re.IGNORECASE)


class Placeholder(PatternMatch):
    """Template filler in the response (``lorem ipsum``, ``[insert ...]``, a bare ``N/A``), except what
    the response quotes from its own prompt (a task about a lorem-ipsum text) and a signature slot
    (``[Your Name]``) alone on the last line of a longer response."""

    def _counts(self, match: re.Match, prompt: str) -> bool:
        found = match.group(0).strip()
        if found and found.lower() in prompt:
            return False
        last_line = match.string.rstrip().rsplit("\n", 1)[-1]
        return not (_SIGNATURE_SLOT.fullmatch(found) and last_line.strip() == found and "\n" in match.string.strip())

    def _detail(self, instruction: str, input_: str, response: str, candidates: frozenset[str]) -> str | None:
        """``response`` with its typographic apostrophes read as ' already; ``candidates``: its patterns that may match."""
        prompt = None
        for match in self.patterns.finditer(response, candidates):
            prompt = prompt if prompt is not None else f"{instruction}\n{input_}".replace("\u2019", "'").lower()
            if self._counts(match, prompt):
                return f"matched {match.group(0).strip()[:80]!r}"
        return None

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        if self.patterns is None:
            return Verdicts.keep_all(len(batch))
        responses = [text.replace("\u2019", "'") for text in batch["response"]]
        details = np.full(len(batch), None, dtype=object)
        instructions, inputs = batch["instruction"].to_numpy(), batch["input"].fillna("").to_numpy()
        for row, candidates in enumerate(self.patterns.batch_candidates(responses)):
            if candidates:
                details[row] = self._detail(instructions[row], inputs[row], responses[row], candidates)
        return Verdicts.of(self.name, details)


def quality_rules(quality: QualityConfig, engine: str = "hyperscan") -> list[Rule]:
    """The enabled quality rules, in the order they judge."""
    builders = [
        (quality.too_long, TooLong),
        (quality.word_count, WordCount),
        (quality.mean_word_length, MeanWordLength),
        (quality.symbol_ratio, SymbolRatio),
        (quality.repetition, lambda rule: GopherRepetition("repetition", rule, reason="repeated_lines",
                                                           ngram_reason="repeated_ngrams")),
        (quality.restated_instruction, RestatedInstruction),
        (quality.refusal, lambda rule: PatternMatch("refusal", rule, engine)),
        (quality.placeholder, lambda rule: Placeholder("placeholder", rule, engine)),
    ]
    return [build(settings) for settings, build in builders if settings.enabled]
