"""The one language identifier (CLD2) and its one "too short to judge" rule, in core/text/language.py."""

from __future__ import annotations

from curation_assets.core.text.language import judged_language, language_violation, letter_count

GERMAN = "Bitte fasse den folgenden Text in drei kurzen Sätzen zusammen und nenne die wichtigsten Punkte."
HEBREW = "שלום לכולם, מה שלומכם היום? אני מקווה שהכל טוב אצלכם ושאתם נהנים מהיום היפה הזה"


def test_only_letters_count_towards_the_minimum():
    assert letter_count("Ab 12, c_d!") == 4  # digits, underscore, punctuation and spaces are not letters
    assert letter_count("Größe") == 5
    assert letter_count("中文 ok") == 4


def test_a_text_with_fewer_letters_than_the_minimum_is_not_judged():
    letters = letter_count(GERMAN)
    assert judged_language(GERMAN, min_letters=letters).code == "de"
    assert judged_language(GERMAN, min_letters=letters + 1) is None
    # Padding with digits and punctuation adds no letters, so the text stays too short.
    assert judged_language(GERMAN + " 1234567890 !!!", min_letters=letters + 1) is None


def test_an_unreliable_guess_is_not_judged():
    assert judged_language("ok ok", min_letters=0) is None
    assert judged_language("", min_letters=0) is None


def test_a_violation_names_the_language_and_what_is_allowed():
    detail = language_violation(GERMAN, frozenset({"en"}), min_chars=40)
    assert detail.startswith("language de (") and detail.endswith("allowed: en")
    assert language_violation(GERMAN, frozenset({"en", "de"}), min_chars=40) is None
    assert language_violation(GERMAN, frozenset({"en"}), min_chars=len(GERMAN)) is None  # too few letters


def test_codes_are_todays_iso_639_1_codes():
    assert judged_language(HEBREW, min_letters=10).code == "he"  # CLD2 itself says "iw"
