"""The fast paths of the clean stage decide exactly as the plain definitions they skip.

Each reference below is the rule's measure written the straightforward way; the texts are real
instruction data plus the edge cases a shortcut could get wrong (non-ASCII words and separators,
Greek final sigma, restatements near the threshold, repeats).
"""

from __future__ import annotations

import json
import random
import re

import pytest

from curation_assets.core.clean.quality import RestatedInstruction, hash_runs
from curation_assets.core.clean.rewrites import _TRANSLATED, _needs_translation
from curation_assets.core.clean.settings import RestatedInstructionRule
from curation_assets.core.text.unicode_repair import _DAMAGE, _may_be_damaged
from curation_assets.core.text.language import _NOT_LETTERS, letter_count
from curation_assets.core.text.repetition import NGrams, ascii_repeated_bigram_chars, repeated_bigram_chars_bound
from curation_assets.core.text.word_counts import max_word_count, split_word_stats

_WORD = re.compile(r"\w+")
ODD_SEPARATORS = [" ", "\t", "\n", "\xa0", "\u2003", "\x1c", "\x85", "\u3000", "\u200b", "\u2019", "-", "_", "é", "ΑΣ.ʰ.Β"]


def _shared_pairs(shared_data, count: int = 400) -> list[tuple[str, str]]:
    lines = (shared_data / "gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()[:count]
    return [(record["question"], record["answer"]) for record in map(json.loads, lines)]


def _odd_texts(pairs: list[tuple[str, str]], seed: int = 5) -> list[tuple[str, str]]:
    """Restatements (whole, repeated, a few words changed) and responses with unusual separators."""
    rng = random.Random(seed)
    odd = []
    for instruction, response in pairs:
        words = instruction.split()
        for _ in range(rng.randint(0, 3)):
            words[rng.randrange(len(words))] = rng.choice(["x", "ΑΣ", "İ", "naïve", "the"])
        odd.append((instruction, " ".join(words * rng.randint(1, 3))))
        odd.append((instruction, "".join(rng.choice(ODD_SEPARATORS) if char == " " else char for char in response)))
        odd.append((instruction.upper(), instruction + " " + response[: rng.randint(0, 80)]))
    return odd


def _restated_reference(instruction: str, response: str, min_words: int, max_overlap: float) -> float | None:
    response_words = _WORD.findall(response.lower())
    if len(response_words) < min_words:
        return None
    instruction_words = _WORD.findall(instruction.lower())
    instruction_pairs = set(zip(instruction_words, instruction_words[1:]))
    pairs = list(zip(response_words, response_words[1:]))
    overlap = sum(pair in instruction_pairs for pair in pairs) / len(pairs)
    return overlap if overlap > max_overlap else None


def test_max_word_count_bounds_the_word_count_and_is_exact_on_ascii(shared_data):
    for code in range(128):  # the byte classes' premise: \w on ASCII is letters, digits and underscore
        assert bool(_WORD.fullmatch(chr(code))) == (chr(code).isalnum() or chr(code) == "_")
    texts = [text for pair in _odd_texts(_shared_pairs(shared_data)) for text in pair] + ["", "_", "é", "\ud800 a"]
    for text in texts:
        count = len(_WORD.findall(text))
        assert max_word_count(text) == count if text.isascii() else max_word_count(text) >= count


@pytest.mark.parametrize("min_words, max_overlap", [(5, 0.9), (1, 0.5), (3, 0.99), (2, 0.0)])
def test_restated_instruction_prefilter_keeps_every_verdict(shared_data, min_words, max_overlap):
    pairs = _shared_pairs(shared_data)
    rule = RestatedInstruction(RestatedInstructionRule(min_words=min_words, max_overlap=max_overlap))
    fired = 0
    for instruction, response in pairs + _odd_texts(pairs):
        expected = _restated_reference(instruction, response, min_words, max_overlap)
        detail = rule._detail(instruction, response)
        assert (detail is None) == (expected is None), (instruction, response)
        if expected is not None:
            fired += 1
            assert detail.startswith(f"{expected:.2f} of the response's word pairs")
    assert fired > 50


def test_the_cheap_repeated_bigram_bound_is_never_below_the_exact_share(shared_data):
    texts = [text for pair in _odd_texts(_shared_pairs(shared_data)) for text in pair]
    texts += ["a b a b a b", "x y z x y z x y", "one two\none two\n one  two", "a a a a", "solo", ""]
    exact = NGrams.of(texts).repeated_bigram_bound()
    for text, share in zip(texts, exact):
        chars = len(text.strip())
        assert repeated_bigram_chars_bound(text.split()) >= round(share * chars), text


def test_split_word_stats_are_the_counts_of_str_split(shared_data):
    for code in range(128):  # the byte classes' premise: str.split's ASCII whitespace is str.isspace's
        assert ("a" + chr(code) + "b").split() == (["a", "b"] if chr(code).isspace() else ["a" + chr(code) + "b"])
    texts = [text for pair in _odd_texts(_shared_pairs(shared_data)) for text in pair]
    texts += ["", " ", "\x1c\x1f", "a", " a ", "\ta\x0bb\x0cc\rd\n", "é b", "\u3000x\xa0y\x85"]
    for text in texts:
        words = text.split()
        assert split_word_stats(text) == (len(words), sum(map(len, words))), text


def test_letter_count_of_ascii_text_is_the_regex_count(shared_data):
    for code in range(128):  # the premise: among ASCII characters, [^\W\d_] is A-Z and a-z
        assert bool(_NOT_LETTERS.fullmatch(chr(code))) != chr(code).isalpha()
    texts = [text for pair in _odd_texts(_shared_pairs(shared_data)) for text in pair] + ["", "_9", "ab\x00c"]
    for text in texts:
        assert letter_count(text) == len(_NOT_LETTERS.sub("", text))


def test_the_ascii_control_test_agrees_with_the_regex():
    for code in range(128):
        for text in (chr(code), f"ab{chr(code)}cd", f"line\n{chr(code)}"):
            assert _needs_translation(text) == (_TRANSLATED.search(text) is not None), code
    for code in [*range(0x80, 0x100), 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x2019, 0x201C, 0xFFFD, 0xD800]:
        for text in (chr(code), f"caf\u00e9 {chr(code)} x", f"\u2019{chr(code)}"):
            assert _needs_translation(text) == (_TRANSLATED.search(text) is not None), hex(code)


def test_the_damage_byte_test_agrees_with_the_regex(shared_data):
    texts = [text for pair in _odd_texts(_shared_pairs(shared_data)) for text in pair]
    texts += [chr(code) + chr(follow) for code in range(0x80, 0x100) for follow in (0x80, 0xA9, 0x2122, 0x41)]
    texts += ["\ufffd", "a\ud800b", "caf\u00c3\u00a9", "it\u00e2\u20ac\u2122s", "\u2019\u201c\u201d\u2014"]
    for text in texts:
        assert _may_be_damaged(text) == (not text.isascii() and _DAMAGE.search(text) is not None), text


def test_hashed_repeated_bigram_chars_bound_the_exact_counts(shared_data):
    texts = [text for pair in _odd_texts(_shared_pairs(shared_data)) for text in pair]
    texts += ["a b a b a b", "x y z x y z x y", "one two\none two\n one  two", "a a a a", "solo", "", " \x1c a b\ta b "]
    texts = [text for text in texts if text.isascii()]
    exact = NGrams.of(texts).repeated_bigram_bound()
    hashed = ascii_repeated_bigram_chars(texts)
    counts = [round(share * len(text.strip())) for text, share in zip(texts, exact)]
    for text, chars, count in zip(texts, hashed, counts):
        assert chars >= count, text  # words hashing alike can only add repeats
    assert sum(chars == count for chars, count in zip(hashed, counts)) >= 0.95 * len(texts)  # and rarely do


def test_symbol_counts_are_the_regex_counts(shared_data):
    texts = [text for pair in _odd_texts(_shared_pairs(shared_data)) for text in pair]
    texts += ["", "#", "##", "a#b##c###", "#### 72", "....", ".....…", "…...…", "é#é ##"]
    for text in texts:
        assert hash_runs(text) == len(re.findall("#+", text)), text
        assert text.count("...") + text.count("\u2026") == len(re.findall(r"\.\.\.|\u2026", text)), text
