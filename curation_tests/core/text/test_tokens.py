"""Words and word n-grams, defined once in core/text/tokens.py, on hand-worked texts."""

from __future__ import annotations

import pytest

from curation_assets.core.text.tokens import word_ngrams, words


@pytest.mark.parametrize(("text", "expected"), [
    # NFKC folds full-width letters, casefold folds case (and ß to ss); punctuation and spacing separate.
    ("ＨＥＬＬＯ,  World!", ["hello", "world"]),
    ("Straße\tNo.5", ["strasse", "no", "5"]),
    # Underscores and dashes separate words; an apostrophe too ("let's" reads as let + s).
    ("snake_case—dash let's", ["snake", "case", "dash", "let", "s"]),
    # Digits are words; letters and digits in one run stay one word.
    ("GPT-4o costs $3.50", ["gpt", "4o", "costs", "3", "50"]),
    # Scripts without spaces: every character is a word; accented Latin stays whole.
    ("中文 ok", ["中", "文", "ok"]),
    ("ภาษาไทย café", ["ภ", "า", "ษ", "า", "ไ", "ท", "ย", "café"]),
    ("", []),
    ("... !!", []),
])
def test_words_are_normalized_runs_of_letters_and_digits(text, expected):
    assert words(text) == expected


def test_word_ngrams_are_consecutive_words_joined_by_one_space():
    assert word_ngrams(["a", "b", "c", "d"], 2) == ["a b", "b c", "c d"]
    assert word_ngrams(["a", "b", "c"], 3) == ["a b c"]
    assert word_ngrams(["a", "b"], 3) == []  # fewer words than n: no n-gram
    assert word_ngrams(words("The cat, the CAT!"), 2) == ["the cat", "cat the", "the cat"]
