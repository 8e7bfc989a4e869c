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

import pandas as pd

from curation_assets.core.clean.quality import RestatedInstruction
from curation_assets.core.clean.rewrites import _TRANSLATED, _WHITESPACE_TABLE, _needs_translation, normalize_whitespace
from curation_assets.core.clean.settings import RestatedInstructionRule
from curation_assets.core.text.unicode_repair import _DAMAGE, _may_be_damaged
from curation_assets.core.text.language import _NOT_LETTERS, letter_count
from curation_assets.core.text.batch_measures import (EncodedTexts, repeated_bigram_chars, split_word_stats_of,
                                                       symbol_counts, whitespace_untouched)
from curation_assets.core.text.repetition import NGrams
from curation_assets.core.text.word_counts import max_word_count

_WORD = re.compile(r"\w+")
ODD_SEPARATORS = [" ", "\t", "\n", "\xa0", "\u2003", "\x1c", "\x85", "\u3000", "\u200b", "\u2019", "-", "_", "é", "ΑΣ.ʰ.Β"]
# Every whitespace code point, controls, characters of 2, 3 and 4 UTF-8 bytes, a lone surrogate, and
# the characters the symbol rule counts, at the ends and inside texts.
EDGE_TEXTS = ["", " ", "a", " a ", "\x1c\x1f", "\ta\x0bb\x0cc\rd\n", "é b", "\u3000x\xa0y\x85", "a\ud800 b",
              "#", "##", "a#b##c###", "#### 72", "....", ".....…", "…...…", "é#é ##", "x…", "\U0001F600 \U0001F600 x",
              "a b a b a b", "x y z x y z x y", "one two\none two\n one  two", "a a a a", "solo",
              "line \nnext", "line\t\nnext", "a\n\n\nb", "a\n\nb", "a\r\nb", "\u200bx", "x\ufeff", "x\x7fy", "\xa0x",
              "x\u2028", "\u2029x", "é\u00a0é"]
EDGE_TEXTS += [f"ab{chr(code)}cd {chr(code)}" for code in [*range(0, 0x100), 0x1680, *range(0x2000, 0x2010),
                                                            0x2028, 0x2029, 0x202F, 0x205F, 0x2060, 0x3000, 0xFEFF]]
EDGE_TEXTS += [f"{chr(code)}x" for code in range(0, 0x100)] + [f"x{chr(code)}" for code in range(0, 0x100)]


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
def test_restated_instruction_fast_paths_keep_every_verdict(shared_data, min_words, max_overlap):
    pairs = _shared_pairs(shared_data)
    pairs = pairs + _odd_texts(pairs) + [(text, text) for text in EDGE_TEXTS] + [("a b", "b"), ("x", "x y x y")]
    rule = RestatedInstruction(RestatedInstructionRule(min_words=min_words, max_overlap=max_overlap))
    judged = rule.judge(pd.DataFrame({"instruction": [i for i, _ in pairs], "response": [r for _, r in pairs]}))
    fired = 0
    for (instruction, response), batch_detail in zip(pairs, judged.details):
        expected = _restated_reference(instruction, response, max(min_words, 2), max_overlap)
        detail = rule._detail(instruction, response)  # the prefiltered path, for non-ASCII records
        assert (detail is None) == (expected is None) == (batch_detail is None), (instruction, response)
        if expected is not None:
            fired += 1
            assert detail == batch_detail
            assert detail.startswith(f"{expected:.2f} of the response's word pairs")
    assert fired > 50


def test_hashed_repeated_bigram_chars_bound_the_exact_counts(shared_data):
    texts = [text for pair in _odd_texts(_shared_pairs(shared_data)) for text in pair] + EDGE_TEXTS
    exact = NGrams.of(texts).repeated_bigram_bound()
    hashed = repeated_bigram_chars(EncodedTexts.of(texts))
    counts = [round(share * len(text.strip())) for text, share in zip(texts, exact)]
    for text, chars, count in zip(texts, hashed, counts):
        assert chars >= count, text  # words hashing alike can only add repeats
    assert sum(chars == count for chars, count in zip(hashed, counts)) >= 0.95 * len(texts)  # and rarely do
    assert sum(count > 0 for count in counts) > 100


def test_split_word_stats_are_the_counts_of_str_split(shared_data):
    for code in range(128):  # the byte classes' premise: str.split's ASCII whitespace is str.isspace's
        assert ("a" + chr(code) + "b").split() == (["a", "b"] if chr(code).isspace() else ["a" + chr(code) + "b"])
    texts = [text for pair in _odd_texts(_shared_pairs(shared_data)) for text in pair] + EDGE_TEXTS
    expected = [(len(text.split()), sum(map(len, text.split()))) for text in texts]
    words, word_chars = split_word_stats_of(texts)
    assert list(zip(words.tolist(), word_chars.tolist())) == expected


def test_byte_bounds_find_every_text_in_the_buffer():
    texts = EDGE_TEXTS + ["", "é", "\U0001F600", "\ud800\udc00"]
    encoded = EncodedTexts.of(texts)
    for text, start, end in zip(texts, encoded.starts, encoded.ends):
        assert encoded.data[start:end].tobytes() == text.encode("utf-8", "surrogatepass")
    # The rules of a stage encode the same texts again, or those left after a rule dropped some: reused.
    split_word_stats_of(texts)
    kept = texts[::3]
    again = EncodedTexts.of(kept)
    assert again.data is encoded.data
    assert [again.data[start:end].tobytes() for start, end in zip(again.starts, again.ends)] == [
        text.encode("utf-8", "surrogatepass") for text in kept]
    assert split_word_stats_of(kept)[0].tolist() == [len(text.split()) for text in kept]
    fresh = [(text + " ")[:-1] for text in kept] + ["new text"]  # equal texts, other objects: encoded anew
    assert EncodedTexts.of(fresh).data is not encoded.data


def test_whitespace_untouched_is_exactly_normalization_doing_nothing(shared_data):
    texts = [text for pair in _odd_texts(_shared_pairs(shared_data)) for text in pair] + EDGE_TEXTS
    untouched = whitespace_untouched(EncodedTexts.of(texts), frozenset(_WHITESPACE_TABLE))
    assert untouched.tolist() == [normalize_whitespace(text) == text for text in texts]
    assert 100 < untouched.sum() < len(texts)


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


def test_symbol_counts_are_the_regex_counts(shared_data):
    texts = [text for pair in _odd_texts(_shared_pairs(shared_data)) for text in pair] + EDGE_TEXTS
    expected = [len(re.findall(r"#+|\.\.\.|\u2026", text)) for text in texts]
    assert symbol_counts(EncodedTexts.of(texts)).tolist() == expected
    assert sum(expected) > 20


def test_rewrite_candidates_hold_every_text_the_rewrite_changes(shared_data):
    from curation_assets.core.clean.rewrites import _html_to_text, _may_hold_html, _may_hold_mojibake
    from curation_assets.core.text.unicode_repair import repair_unicode

    texts = [text for pair in _odd_texts(_shared_pairs(shared_data)) for text in pair] + EDGE_TEXTS
    texts += ["<p>a</P>", "x<BR/>y", "<Img src=a.png>", "<hr>", "3 < 5 and 7 > 2", "<</b>", "a </ b", "<<48/2=24>>",
              "caf\u00c3\u00a9", "it\u00e2\u20ac\u2122s", "\ufffd", "a\ud800b", "\u2019\u201c\u201d"]
    for rewrite, candidates, expected_changes in ((_html_to_text, _may_hold_html, 3), (repair_unicode, _may_hold_mojibake, 2)):
        flagged = candidates(texts)
        changed = [rewrite(text) != text for text in texts]
        assert not any(change and not flag for change, flag in zip(changed, flagged))
        assert sum(changed) >= expected_changes
        assert sum(flagged) < len(texts) / 2


def test_contains_any_is_bytes_in_with_and_without_case():
    texts = ["", "a", "Hello <BR>", "x</y", "é\u00c3", "abc", "AB", "ab"]
    needles = [b"</", b"<br", b"\xc3", b"ab"]
    encoded = EncodedTexts.of(texts)
    from curation_assets.core.text.batch_measures import contains_any

    assert contains_any(encoded, needles).tolist() == [
        any(needle in text.encode() for needle in needles) for text in texts]
    assert contains_any(encoded, needles, ignore_ascii_case=True).tolist() == [
        any(needle in text.lower().encode() for needle in needles) for text in texts]


def test_restatement_pairs_are_counted_in_the_compiled_pass_unless_a_character_needs_python():
    from curation_assets.core.text.batch_measures import restated_pair_hits

    pairs = [("It’s a “test” — of it", "it’s a test of it…"), ("Café au lait", "café au lait"), ("a b", "\u0130 a b"),
             ("x y", "x\u00a0y x\u2028y"), ("a b", "a\U0001F600b")]
    decided, words, hits = restated_pair_hits(EncodedTexts.of([i for i, _ in pairs]), EncodedTexts.of([r for _, r in pairs]))
    assert decided.tolist() == [True, False, False, True, False]
    assert words[0] == 6 and hits[0] == 5  # it s a test of it: all five pairs are the instruction's
    assert words[3] == 4 and hits[3] == 2  # (x y) twice, (y x) not
