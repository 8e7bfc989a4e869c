"""The response key: the digest of the response's words, with a byte-level path for ASCII text that
must agree with ``tokens.words`` on every input."""

from __future__ import annotations

import random
import string

from curation_assets.core.dedup.keys import digest, words_key
from curation_assets.core.text.tokens import words


def _reference(text: str) -> tuple[str, int]:
    found = words(text)
    return digest(" ".join(found)), len(found)


def test_ascii_fast_path_agrees_with_the_word_definition_on_random_ascii():
    rng = random.Random(3)
    alphabet = string.printable + "\x00\x01\x1f\x7f_"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        assert words_key(text) == _reference(text), repr(text)


def test_case_punctuation_spacing_and_underscores_do_not_change_the_key():
    assert words_key("The  answer, is 42!")[0] == words_key("the answer\tIS 42")[0]
    assert words_key("snake_case") == words_key("snake case")
    assert words_key("") == (digest(""), 0)
    assert words_key("answer 42") != words_key("answer 43")


def test_non_ascii_text_takes_the_unicode_definition():
    for text in ["Héllo wörld", "ＨＥＬＬＯ world", "日本語のテキスト", "naïve café"]:
        assert words_key(text) == _reference(text)
    assert words_key("ＨＥＬＬＯ world")[0] == words_key("hello world")[0]
