"""Gopher's repetition measures on short texts whose fractions are worked out by hand.

Every character fraction is over the stripped text's characters; an n-gram's characters are its
words' plus one separator between consecutive words; characters inside several counted occurrences
count once.
"""

from __future__ import annotations

import pytest

from curation_assets.core.text.repetition import (RepetitionLimits, duplicate_line_fractions, duplicate_ngram_char_fractions,
                                                  duplicate_paragraph_fractions, first_excesses, top_ngram_char_fractions)


def test_duplicate_lines_and_paragraphs():
    # Lines "to be", "or not", "to be", "to be" (the blank line is no line): 2 of 4 repeat an earlier
    # one → 0.5; their characters 5 + 5 = 10 of the text's 5+1 + 6+1 + 5+2 + 5 = 25 → 0.4.
    # Paragraphs "to be\nor not\nto be" (17 chars) and "to be": none repeats, though "to be" is in the first.
    text = "to be\nor not\nto be\n\nto be"
    assert duplicate_line_fractions([text]) == (pytest.approx([0.5]), pytest.approx([10 / 25]))
    assert duplicate_paragraph_fractions([text]) == (pytest.approx([0.0]), pytest.approx([0.0]))
    # Paragraphs "Hi.", "Hi.", "Bye.": 1 of 3 repeats; 3 characters of 3+2 + 3+2 + 4 = 14 (lines alike).
    assert duplicate_paragraph_fractions(["Hi.\n\nHi.\n\nBye."]) == (pytest.approx([1 / 3]), pytest.approx([3 / 14]))
    assert duplicate_line_fractions(["Hi.\n\nHi.\n\nBye."]) == (pytest.approx([1 / 3]), pytest.approx([3 / 14]))


def test_top_ngram_character_fraction():
    # "a b c a b c" has 11 characters. 2-grams "a b" and "b c" both occur twice with 3 characters:
    # the first seen, "a b", wins; its occurrences at words 0-1 and 3-4 cover "a b" twice → 6 / 11.
    # The 3-gram "a b c" occurs at words 0-2 and 3-5: "a b c" twice → 10 / 11 (not the middle space).
    text = "a b c a b c"
    assert top_ngram_char_fractions([text], 2) == pytest.approx([6 / 11])
    assert top_ngram_char_fractions([text], 3) == pytest.approx([10 / 11])
    # Overlapping occurrences count their characters once: "ha ha ha" (8 chars) holds "ha ha" twice,
    # at words 0-1 and 1-2, covering the whole text → 8 / 8, where count × length would say 10 / 8.
    assert top_ngram_char_fractions(["ha ha ha"], 2) == pytest.approx([1.0])
    # The most frequent n-gram wins over a longer but rarer one: in "x y x y x y long words long words"
    # (11 + 1 + 21 = 33 chars) "x y" occurs 3 times (3 × 3 = 9 chars), "long words" twice (2 × 10 = 20)
    # → 9 / 33.
    assert top_ngram_char_fractions(["x y x y x y long words long words"], 2) == pytest.approx([9 / 33])
    # An n-gram seen once is no repetition; too few words make no n-gram.
    assert list(top_ngram_char_fractions(["one two three", "one"], 2)) == [0.0, 0.0]


def test_duplicate_ngram_character_fraction():
    # "a b c a b c": 2-grams a b, b c, c a, a b (repeat), b c (repeat). The repeats at words 3-4 and
    # 4-5 cover "a b c" once → 5 / 11, no character counted twice.
    assert duplicate_ngram_char_fractions(["a b c a b c"], 2) == pytest.approx([5 / 11])
    # "the cat sat on the mat the cat sat on the mat" (45 chars): each 5-gram of the second sentence
    # (words 6-10) repeats one of the first; the 5-grams starting at words 1..5 that straddle the
    # sentences are new. Covered: "the cat sat on the mat" at words 6-11 → 22 / 45.
    text = "the cat sat on the mat the cat sat on the mat"
    assert duplicate_ngram_char_fractions([text], 5) == pytest.approx([22 / 45])
    # Nothing repeats: 0. Case counts: "The" is not "the".
    assert list(duplicate_ngram_char_fractions(["The end. the end.", "a b c d e f"], 2)) == [0.0, 0.0]


def test_texts_of_one_batch_are_measured_apart():
    # The same batch, one text at a time or together: n-grams never span two texts.
    texts = ["a b c a b c", "c a b", "", "x y x y x y long words long words"]
    together = duplicate_ngram_char_fractions(texts, 2)
    assert list(together) == [duplicate_ngram_char_fractions([text], 2)[0] for text in texts]
    assert together[1] == 0.0  # "c a b" follows "... a b c" in the batch, but is its own text


def test_the_first_measure_over_its_maximum_is_reported_and_null_is_off():
    limits = RepetitionLimits(max_duplicate_line_fraction=0.3, max_top_ngram_char_fraction={2: 0.5},
                              max_duplicate_ngram_char_fraction={5: 0.4}, min_words_for_ngram_rules=4)
    looping = "the cat sat on the mat the cat sat on the mat"
    found = first_excesses(["x\nx\ny", looping, "too short to loop", looping], limits)
    assert [str(excess) if excess else None for excess in found] == [
        "duplicate_line_fraction 0.33 > 0.30",  # 1 of 3 lines
        "duplicate_5gram_char_fraction 0.49 > 0.40",  # 22 / 45; the top 2-gram "the cat" covers 14 / 45
        None,
        "duplicate_5gram_char_fraction 0.49 > 0.40",
    ]
    assert first_excesses(["x\nx\ny"], RepetitionLimits()) == [None]  # every maximum null: nothing checked
    assert first_excesses([looping], limits.model_copy(update={"min_words_for_ngram_rules": 13})) == [None]
