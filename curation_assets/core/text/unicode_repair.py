"""Repair mojibake (UTF-8 read as Latin-1/cp1252 and similar) with ftfy.

Only the encoding repairs are switched on: curly quotes, full-width characters and HTML entities
are the author's choice, not damage. ftfy costs about 4 MB/s on non-ASCII text, so it runs only on
text that shows a sign of damage: UTF-8 bytes read as Latin-1 or Windows-1252 always leave a
lead character (U+00C2-U+00F4: Â, Ã, â, Ð, ...) followed by a continuation character (U+0080-U+00BF
or one of cp1252's substitutes: €, ™, ’, “, ...); C1 control characters, U+FFFD and lone
surrogates are the other signs. Pure-ASCII text has none and is never touched.
"""

from __future__ import annotations

import re
from functools import lru_cache

_CP1252_CONTINUATION = "\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178"
_DAMAGE = re.compile(f"[\u00c2-\u00f4][\u0080-\u00bf{_CP1252_CONTINUATION}]|[\u0080-\u009f\ufffd\ud800-\udfff]")


@lru_cache(maxsize=1)
def _ftfy_config():
    import ftfy

    return ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=True,
        fix_encoding=True,
        restore_byte_a0=True,
        replace_lossy_sequences=True,
        decode_inconsistent_utf8=True,
        fix_c1_controls=True,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        fix_surrogates=True,
        remove_control_chars=False,
        normalization=None,
        explain=False,
    )


# Every sign of damage above is a character U+0080-U+00FF (UTF-8 lead byte C2 or C3), U+FFFD
# (EF BF BD) or a surrogate (ED ...): text with none of these bytes, say curly quotes and dashes
# only, is spared the regex scan. ``in`` on bytes is a memchr-fast search.
DAMAGE_BYTES = (b"\xc2", b"\xc3", b"\xef\xbf\xbd", b"\xed")


def _may_be_damaged(text: str) -> bool:
    if text.isascii():
        return False
    data = text.encode("utf-8", "surrogatepass")
    return any(marker in data for marker in DAMAGE_BYTES) and _DAMAGE.search(text) is not None


def repair_unicode(text: str) -> str:
    if not _may_be_damaged(text):
        return text
    import ftfy

    return ftfy.fix_text(text, config=_ftfy_config())
