"""Markdown tables: the dedup views in Dagster metadata (texts side by side, which a table value would clip)."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import pandas as pd


def markdown_cell(value: Any, max_chars: int | None = None) -> str:
    """One cell's text: missing values empty, ``|`` escaped and line breaks as ``⏎`` (a table row is one
    line), clipped to ``max_chars`` with an ellipsis."""
    text = "" if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) else str(value)
    text = text.replace("\r\n", "\n").replace("\n", " ⏎ ").replace("|", "\\|")
    return text if max_chars is None or len(text) <= max_chars else text[: max_chars - 1] + "…"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], max_cell_chars: int | None = None) -> str:
    """A GitHub-flavoured Markdown table; each row has one value per header."""
    lines = ["| " + " | ".join(markdown_cell(header) for header in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(markdown_cell(value, max_cell_chars) for value in row) + " |" for row in rows]
    return "\n".join(lines)
