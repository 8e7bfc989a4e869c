"""Repair mojibake (UTF-8 read as Latin-1/cp1252 and similar) with ftfy.

Only the encoding repairs are switched on: curly quotes, full-width characters and HTML entities
are the author's choice, not damage. Pure-ASCII text cannot hold mojibake and skips ftfy, which is
what keeps this cheap on mostly-English data.
"""

from __future__ import annotations

from functools import lru_cache


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


def repair_unicode(text: str) -> str:
    if text.isascii():
        return text
    import ftfy

    return ftfy.fix_text(text, config=_ftfy_config())
