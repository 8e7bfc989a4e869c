"""The formatting rewrites of the clean stage, in order: HTML to text, mojibake repair, Markdown to
text (configured fields), whitespace and control characters.

Each returns the text itself when it has nothing to do, so the runner records only real changes.
"""

from __future__ import annotations

import re

import numpy as np

from curation_assets.core.clean.settings import CleanConfig
from curation_assets.core.rules import Rewrite, TextRewrite
from curation_assets.core.text.html_text import contains_html, html_to_text
from curation_assets.core.text.markdown_text import strip_markdown
from curation_assets.core.text.unicode_repair import DAMAGE_BYTES, repair_unicode

_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")
# C0/C1 control characters except tab and newline, zero-width characters and BOM go; no-break space becomes a space.
_WHITESPACE_TABLE = {
    **dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]),
    **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff")),
    0xA0: " ",
}
_TRANSLATED = re.compile("[" + "".join(re.escape(chr(code)) for code in _WHITESPACE_TABLE) + "]")
# The same characters within ASCII (C0 controls but tab and newline, DEL): deleting them from the
# UTF-8 bytes in C and comparing lengths finds them several times faster than the regex search
# (bytes below 0x80 are ASCII characters only). The others are U+0080-U+00A0 (lead byte C2) and
# four characters of three bytes: only text holding one of those bytes needs the regex.
_ASCII_TRANSLATED = bytes(code for code in _WHITESPACE_TABLE if code < 128)
_NON_ASCII_TRANSLATED = (b"\xc2", *(chr(code).encode("utf-8") for code in _WHITESPACE_TABLE if code > 0xA0))


def _needs_translation(text: str) -> bool:
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded.translate(None, _ASCII_TRANSLATED)) != len(encoded):
        return True
    return (not text.isascii() and any(marker in encoded for marker in _NON_ASCII_TRANSLATED)
            and _TRANSLATED.search(text) is not None)


def normalize_whitespace(text: str) -> str:
    """Unix newlines, no control or zero-width characters, no trailing spaces, at most one blank line.

    Leading indentation survives: it carries meaning in code.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _needs_translation(text):  # translate() looks up every character; most texts need none of it
        text = text.translate(_WHITESPACE_TABLE)
    if " \n" in text or "\t\n" in text:
        text = _TRAILING_SPACE.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def _may_change_whitespace(texts: list[str]) -> np.ndarray:
    from curation_assets.core.text.batch_measures import EncodedTexts, whitespace_untouched

    return ~whitespace_untouched(EncodedTexts.of(texts), _REMOVED)


_REMOVED = frozenset(_WHITESPACE_TABLE)


def _may_hold_html(texts: list[str]) -> np.ndarray:
    """Every closing or void tag ``contains_html`` looks for starts with one of these."""
    from curation_assets.core.text.batch_measures import EncodedTexts, contains_any

    return contains_any(EncodedTexts.of(texts), [b"</", b"<br", b"<hr", b"<img"], ignore_ascii_case=True)


def _may_hold_mojibake(texts: list[str]) -> np.ndarray:
    from curation_assets.core.text.batch_measures import EncodedTexts, contains_any

    return contains_any(EncodedTexts.of(texts), DAMAGE_BYTES)


def _html_to_text(text: str) -> str:
    # Every tag contains "<": one C search spares the two tag regexes on most texts.
    return html_to_text(text) if "<" in text and contains_html(text) else text


def formatting_rewrites(settings: CleanConfig) -> list[Rewrite]:
    """The enabled formatting rewrites, in the order they apply."""
    rewrites = [
        (settings.strip_html, TextRewrite("html_stripped", _html_to_text, candidates=_may_hold_html)),
        (settings.fix_unicode, TextRewrite("unicode_repaired", repair_unicode, candidates=_may_hold_mojibake)),
        (bool(settings.strip_markdown), TextRewrite("markdown_stripped", strip_markdown, settings.strip_markdown)),
        (settings.normalize_whitespace,
         TextRewrite("whitespace_normalized", normalize_whitespace, candidates=_may_change_whitespace)),
    ]
    return [rewrite for enabled, rewrite in rewrites if enabled]
