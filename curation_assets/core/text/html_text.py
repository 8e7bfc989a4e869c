"""HTML to readable text with the standard library's HTML parser.

Only text that contains real HTML is parsed: a closing tag of a known element, or a void
element (``<br>``, ``<hr>``, ``<img …>``). So prose such as ``3 < 5 and 7 > 2`` and code such as
``if (a<b && b>c)`` or ``x<i and i>0`` is never mistaken for markup. Code in ``<pre>``/``<code>`` keeps its layout,
list items become ``- `` lines (``1. `` in ordered lists, indented when nested), table rows become
``cell | cell`` lines, block elements become line breaks, scripts and styles vanish.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_TAG_NAMES = (
    "a|abbr|article|aside|b|blockquote|body|br|caption|center|code|dd|div|dl|dt|em|font|footer|"
    "h[1-6]|head|header|hr|html|i|img|li|main|nav|ol|p|pre|script|section|small|span|strong|style|"
    "sub|sup|table|tbody|td|tfoot|th|thead|title|tr|u|ul"
)
_CLOSING_TAG = re.compile(rf"</(?:{_TAG_NAMES})\s*>", re.IGNORECASE)
_VOID_TAG = re.compile(r"<(?:br|hr)\s*/?>|<img\s[^<>]*>", re.IGNORECASE)
# Spaces and newlines inside <pre> are protected from the line tidying applied to flowing text.
_PRE_NEWLINE, _PRE_SPACE, _PRE_TAB = "\x00", "\x01", "\x02"
_BLOCK_TAGS = {
    "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt", "footer", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
}
_DROPPED_TAGS = {"script", "style", "head", "title"}


def contains_html(text: str) -> bool:
    return _CLOSING_TAG.search(text) is not None or _VOID_TAG.search(text) is not None


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropped_depth = 0
        self._pre_depth = 0
        self._lists: list[list] = []  # [tag, items so far] per open <ul>/<ol>
        self._cells_in_row = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _DROPPED_TAGS:
            self._dropped_depth += 1
        elif tag == "pre":
            self._pre_depth += 1
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n" + self._list_marker())
        elif tag in ("td", "th"):
            self.parts.append(" | " if self._cells_in_row else "")
            self._cells_in_row += 1
        elif tag in ("ul", "ol"):
            # A nested list continues its parent's lines: only the outermost list is set apart.
            self.parts.append("" if self._lists else "\n")
            self._lists.append([tag, 0])
        elif tag == "tr":
            self._cells_in_row = 0
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def _list_marker(self) -> str:
        if not self._lists:
            return "- "
        self._lists[-1][1] += 1
        tag, count = self._lists[-1]
        # Indentation is protected like <pre> spaces: the line tidying would strip it.
        indent = _PRE_SPACE * 2 * (len(self._lists) - 1)
        return indent + (f"{count}. " if tag == "ol" else "- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_TAGS:
            self._dropped_depth = max(0, self._dropped_depth - 1)
        elif tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
            self.parts.append("\n")
        elif tag == "li":
            return  # the next item or the list's end breaks the line; a newline here would double it
        elif tag in ("ul", "ol"):
            if self._lists and self._lists[-1][0] == tag:
                self._lists.pop()
            self.parts.append("" if self._lists else "\n")
        elif tag == "tr":
            return  # rows of one table stay on consecutive lines
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in ("br", "hr"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._dropped_depth:
            return
        if self._pre_depth:
            self.parts.append(data.replace("\n", _PRE_NEWLINE).replace(" ", _PRE_SPACE).replace("\t", _PRE_TAB))
        else:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(text: str) -> str:
    """Text with HTML markup removed; text without HTML tags is returned unchanged."""
    if not contains_html(text):
        return text
    extractor = _TextExtractor()
    extractor.feed(text)
    extractor.close()
    lines = [line.strip(" ") for line in "".join(extractor.parts).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    # The parser already decoded entities (convert_charrefs): decoding again would turn &amp;lt; into <.
    return text.replace(_PRE_NEWLINE, "\n").replace(_PRE_SPACE, " ").replace(_PRE_TAB, "\t")
