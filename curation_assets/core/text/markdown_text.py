"""Markdown to plain text, keeping what carries meaning: code, list structure, table cells, link targets.

Fenced code blocks lose their fences and keep every character inside; inline code loses its
backticks. Headings, emphasis, block quotes and rules lose their markers; ``*``/``+`` bullets
become ``- ``; numbered items stay numbered; links become ``text (url)``, images their alt text;
table rows become ``cell | cell`` and the ``|---|`` line goes. Emphasis needs its markers to hug
text, so arithmetic (``2*3*4``, ``a * b``), snake_case and ``__init__`` are left alone.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[^\n]*\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$\n?",
                    re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(?P<code>.+?)(?<!`)\1(?!`)")
_IMAGE = re.compile(r"!\[(?P<alt>[^\]\n]*)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]\n]+)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^[ ]{0,3}#{1,6}[ \t]+(?P<title>.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_SETEXT_UNDERLINE = re.compile(r"^(?P<title>[^\n]+)\n[ ]{0,3}(?:=+|-+)[ \t]*$", re.MULTILINE)
_RULE = re.compile(r"^[ ]{0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$\n?", re.MULTILINE)
_QUOTE = re.compile(r"^[ ]{0,3}>[ ]?", re.MULTILINE)
_BULLET = re.compile(r"^(?P<indent>[ \t]*)[*+][ \t]+", re.MULTILINE)
_STRONG = re.compile(r"(?<![\w*])\*\*(?=\S)(?P<text>.+?)(?<=\S)\*\*(?![\w*])")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=[^\s*])(?P<text>[^\n]*?[^\s*])\*(?![\w*])")
# Underscores also make Python's __init__ and snake_case: only phrases (with a space) count as emphasis.
_UNDERSCORE = re.compile(r"(?<![\w_])(__|_)(?=\S)(?P<text>[^\n_]*?\s[^\n_]*?)(?<=\S)\1(?![\w_])")
_STRIKE = re.compile(r"~~(?=\S)(?P<text>.+?)(?<=\S)~~")
_TABLE_DIVIDER = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$\n?", re.MULTILINE)
_TABLE_ROW = re.compile(r"^[ \t]*\|(?P<cells>.*)\|[ \t]*$", re.MULTILINE)
# Code is moved out of the way while the other rules run, then put back unchanged.
_SLOT = "\x00{}\x00"
_SLOT_PATTERN = re.compile(r"\x00(\d+)\x00")


def strip_markdown(text: str) -> str:
    saved: list[str] = []

    def stash(content: str) -> str:
        saved.append(content)
        return _SLOT.format(len(saved) - 1)

    # Each construct needs its marker character; `in` is far cheaper than a regex pass without it.
    if "`" in text or "~~~" in text:
        text = _FENCE.sub(lambda m: stash(m.group("body").rstrip("\n")) + ("\n" if m.group(0).endswith("\n") else ""),
                          text)
    if "`" in text:
        text = _INLINE_CODE.sub(lambda m: stash(m.group("code").strip() if m.group(1) != "`" else m.group("code")), text)
    if "](" in text:
        text = _IMAGE.sub(lambda m: m.group("alt"), text)
        text = _LINK.sub(lambda m: m.group("text") if m.group("text") == m.group("url")
                         else f"{m.group('text')} ({m.group('url')})", text)
    if "|" in text:
        text = _TABLE_DIVIDER.sub("", text)
        text = _TABLE_ROW.sub(lambda m: " | ".join(cell.strip() for cell in m.group("cells").split("|")), text)
    if "---" in text or "***" in text or "___" in text or "- -" in text or "* *" in text or "_ _" in text:
        text = _RULE.sub("", text)
    if "#" in text:
        text = _HEADING.sub(lambda m: m.group("title"), text)
    if "\n==" in text or "\n--" in text or "\n ==" in text or "\n --" in text:
        text = _SETEXT_UNDERLINE.sub(lambda m: m.group("title"), text)
    if ">" in text:
        text = _QUOTE.sub("", text)
    if "*" in text or "+" in text:
        text = _BULLET.sub(lambda m: m.group("indent") + "- ", text)
    for marker, pattern in (("**", _STRONG), ("*", _EMPHASIS), ("_", _UNDERSCORE), ("~~", _STRIKE)):
        if marker in text:
            text = pattern.sub(lambda m: m.group("text"), text)
    return _SLOT_PATTERN.sub(lambda m: saved[int(m.group(1))], text) if saved else text
