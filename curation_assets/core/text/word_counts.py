"""A word count that makes no word strings: ``max_word_count``, an upper bound of
``re.findall(r"\\w+", text)`` for the restated-instruction prefilter (exact on ASCII text).

Splitting a 1 KB answer into ~200 Python strings costs far more than the arithmetic on them; here
the text's bytes are classified with one ``bytes.translate`` and the count taken in C. Whole
batches are counted by ``core.text.batch_measures``.
"""

from __future__ import annotations

# Each UTF-8 byte as a class: "w" an ASCII word character (letters, digits, underscore: Python's \w on
# ASCII, the tests check all 128), " " any other ASCII or a continuation byte, "n" the lead byte of a
# non-ASCII character, which may or may not be a word character.
_UTF8_WORD_CLASSES = bytes(
    ord("w") if code < 128 and (chr(code).isalnum() or chr(code) == "_") else ord("n") if code >= 0xC0 else ord(" ")
    for code in range(256)
)


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
