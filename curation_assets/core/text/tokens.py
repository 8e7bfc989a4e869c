"""Words and word n-grams: the one definition every stage compares texts by.

Deduplication (shingles, conflicting responses), decontamination (n-gram overlap with a
benchmark), synthetic novelty (ROUGE-L) and the report's word lists all see a text as this list
of words, so "the same words" means the same thing in every stage.

- Normalization: Unicode NFKC, then casefold, so full-width letters, ligatures and case do not
  matter ("ＨＥＬＬＯ" and "hello" are one word).
- A word is a maximal run of letters and digits (Unicode ``\\w`` without ``_``): punctuation,
  spacing and underscores separate words, so "snake_case" is two words, as it reads.
- Every character of a script written without spaces between words (Thai, kana, CJK
  ideographs) is a word of its own; otherwise a whole Chinese sentence would be one "word".
- A word n-gram is ``n`` consecutive words.

``core/text/shingles.py`` implements the same definition on bytes, vectorized, for MinHash.
"""

from __future__ import annotations

import re
import unicodedata

# Code point ranges of scripts without spaces between words; all are three bytes long in UTF-8,
# which is where the shingles' byte pass splits them off.
UNSPACED_RANGES = ((0x0E00, 0x0E7F), (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
_UNSPACED_CLASS = "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in UNSPACED_RANGES)
_NON_WORD = re.compile(r"[\W_]+")
_NON_ASCII_SEPARATOR = re.compile(r"[^\w\x00-\x7f]")
_WORD = re.compile(f"[{_UNSPACED_CLASS}]|[^\\s{_UNSPACED_CLASS}]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_UNICODE_WORD = re.compile(f"[{_UNSPACED_CLASS}]|[^\\W_{_UNSPACED_CLASS}]+")


def normalize(text: str) -> str:
    """NFKC + casefold; non-ASCII separators also become spaces (ASCII ones the byte pass sees itself)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return text if text.isascii() or not _NON_ASCII_SEPARATOR.search(text) else _NON_WORD.sub(" ", text)


def words(text: str) -> list[str]:
    """The words of ``text``, normalized, in order."""
    text = unicodedata.normalize("NFKC", text).casefold()
    # One regex pass: a word is a run of \w without _ (on ASCII text: lowercase letters and digits),
    # each character of an unspaced script a word of its own.
    return (_ASCII_WORD if text.isascii() else _UNICODE_WORD).findall(text)


def word_ngrams(text_words: list[str], n: int) -> list[str]:
    """Every run of ``n`` consecutive words, joined by single spaces (none when there are fewer words)."""
    return [" ".join(text_words[start:start + n]) for start in range(len(text_words) - n + 1)]
