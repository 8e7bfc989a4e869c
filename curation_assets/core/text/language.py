"""Offline language identification with CLD2 (pycld2: the model is compiled into the extension).

A text is judged only when it has enough letters and CLD2 calls its guess reliable; anything
undecidable (too short, mixed, unknown) is kept, since dropping on a guess loses good data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pycld2


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
    return LanguageGuess(code.split("-")[0].lower(), int(percent), bool(reliable))


_NOT_LETTERS = re.compile(r"[\W\d_]+")


def letter_count(text: str) -> int:
    return len(_NOT_LETTERS.sub("", text))


def language_violation(text: str, allowed: frozenset[str], min_chars: int) -> str | None:
    """Why ``text`` is not in an allowed language, or None when it is (or cannot be told)."""
    if letter_count(text) < min_chars:
        return None
    guess = identify(text)
    if not guess.reliable or guess.code in ("un", "xx") or guess.code in allowed:
        return None
    return f"language {guess.code} ({guess.percent}% of text), allowed: {', '.join(sorted(allowed))}"
