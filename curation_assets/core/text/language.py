"""Offline language identification with CLD2 (pycld2: the model is compiled into the extension).

The one identifier of the project: cleaning drops text in a language not allowed, verification
fails a synthetic record not written in the language it was asked for, and the report counts
languages, all through this module.

One rule for "too short to judge": a text is judged only when it has at least ``min_letters``
letters (digits, punctuation and spaces carry no language) and CLD2 calls its guess reliable;
anything undecidable (too short, mixed, unknown) passes, since dropping on a guess loses good
data. Each stage sets its own threshold (``clean.language.min_chars``,
``verify.min_language_chars``); both count letters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pycld2


# CLD2 still says iw, jw, in, ji; settings and synthetic batches use today's ISO 639-1 codes.
_WITHDRAWN_CODES = {"iw": "he", "jw": "jv", "in": "id", "ji": "yi"}


@dataclass(frozen=True)
class LanguageGuess:
    code: str  # ISO 639-1, or "un" when unknown
    percent: int
    reliable: bool


def identify(text: str) -> LanguageGuess:
    try:
        reliable, _, details = pycld2.detect(text, isPlainText=True)
    except pycld2.error:  # e.g. text CLD2 cannot read as UTF-8 (lone surrogates)
        return LanguageGuess("un", 0, False)
    _, code, percent, _ = details[0]
    code = code.split("-")[0].lower()
    return LanguageGuess(_WITHDRAWN_CODES.get(code, code), int(percent), bool(reliable))


_NOT_LETTERS = re.compile(r"[\W\d_]+")
# Among ASCII characters the letters are A-Z and a-z (the tests check all 128); deleting every other
# byte in C counts them far faster than the regex, which stays for other text.
_ASCII_NON_LETTERS = bytes(code for code in range(128) if not chr(code).isalpha())


def letter_count(text: str) -> int:
    if text.isascii():
        return len(text.encode("ascii").translate(None, _ASCII_NON_LETTERS))
    return len(_NOT_LETTERS.sub("", text))


def judged_language(text: str, min_letters: int) -> LanguageGuess | None:
    """CLD2's guess when ``text`` can be judged (enough letters, a reliable known guess), else None."""
    if letter_count(text) < min_letters:
        return None
    guess = identify(text)
    return guess if guess.reliable and guess.code not in ("un", "xx") else None


def language_violation(text: str, allowed: frozenset[str], min_chars: int) -> str | None:
    """Why ``text`` is not in an allowed language, or None when it is (or cannot be told).

    ``min_chars`` counts letters: shorter texts are too short to judge.
    """
    guess = judged_language(text, min_chars)
    if guess is None or guess.code in allowed:
        return None
    return f"language {guess.code} ({guess.percent}% of text), allowed: {', '.join(sorted(allowed))}"
