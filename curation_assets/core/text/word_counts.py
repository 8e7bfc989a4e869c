"""Word counts that make no word strings: the rules only need how many words, not the words.

Splitting a 1 KB answer into ~200 Python strings costs far more than the rules' arithmetic on
them; here the text's bytes are classified with one ``bytes.translate`` and the counts taken in C.
Two definitions of a word are served, each exactly as the rules define it:

- ``split_word_stats``: ``text.split()`` (runs of non-whitespace), for the Gopher word-count,
  mean-word-length and symbol-ratio rules; exact, with ``str.split`` itself for non-ASCII text;
- ``max_word_count``: an upper bound of ``re.findall(r"\\w+", text)``, for the restated-instruction
  prefilter; exact on ASCII text.
"""

from __future__ import annotations

# str.split()'s whitespace among ASCII characters (the tests check all 128): \t \n \v \f \r, the four
# information separators \x1c-\x1f, and space. Each byte becomes " " (whitespace) or "w" (not).
_SPLIT_CLASSES = bytes(ord(" ") if code < 128 and chr(code).isspace() else ord("w") for code in range(256))

# Each UTF-8 byte as a class: "w" an ASCII word character (letters, digits, underscore: Python's \w on
# ASCII, the tests check all 128), " " any other ASCII or a continuation byte, "n" the lead byte of a
# non-ASCII character, which may or may not be a word character.
_UTF8_WORD_CLASSES = bytes(
    ord("w") if code < 128 and (chr(code).isalnum() or chr(code) == "_") else ord("n") if code >= 0xC0 else ord(" ")
    for code in range(256)
)


def split_word_stats(text: str) -> tuple[int, int]:
    """``len(text.split())`` and the characters of those words (every character but whitespace).

    A whole batch is counted faster by ``core.text.batch_measures.split_word_stats_of``.
    """
    if not text.isascii():
        words = text.split()
        return len(words), sum(map(len, words))
    classes = text.encode("ascii").translate(_SPLIT_CLASSES)
    return classes.count(b" w") + classes.startswith(b"w"), len(classes) - classes.count(b" ")


def max_word_count(text: str) -> int:
    """An upper bound of the ``\\w+`` words of ``text`` (exact on ASCII text).

    A word either holds an ASCII word character, and then a run of them of its own, or is made of
    non-ASCII characters only: at most the runs of ASCII word characters plus the non-ASCII
    characters.
    """
    classes = text.encode("utf-8", "surrogatepass").translate(_UTF8_WORD_CLASSES)
    runs = classes.count(b" w") + classes.startswith(b"w")
    if text.isascii():
        return runs  # no "n" bytes to count
    return runs + classes.count(b"nw") + classes.count(b"n")
