"""Cleaning: strip HTML, normalize whitespace and control characters, drop empty records.

Cleaning rewrites text in place and keeps the record id, so a cleaned record still traces back
to the line it was loaded from; the rewrites applied are appended to its lineage.
"""

from __future__ import annotations

import json
import re
import unicodedata

import pandas as pd

from curation_assets.config import CleanConfig
from curation_assets.core.html_text import contains_html, html_to_text
from curation_assets.core.records import TEXT_FIELDS, as_records, as_rejections, empty_rejections
from curation_assets.core.stage_result import StageResult

STAGE = "clean"
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalize_whitespace(text: str) -> str:
    """Unix newlines, no control or zero-width characters, no trailing spaces, at most one blank line.

    Leading indentation survives: it carries meaning in code.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH)
    text = "".join(
        " " if char == "\u00a0" else char
        for char in text
        if char in "\n\t" or unicodedata.category(char) != "Cc"
    )
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_RUNS.sub("\n\n", text).strip()


def clean_text(text: str, settings: CleanConfig) -> tuple[str, list[str]]:
    """The cleaned text and the names of the rewrites that changed it."""
    applied = []
    if settings.strip_html and contains_html(text):
        text = html_to_text(text)
        applied.append("html_stripped")
    if settings.normalize_whitespace:
        normalized = normalize_whitespace(text)
        if normalized != text:
            applied.append("whitespace_normalized")
        text = normalized
    return text, applied


def clean_records(frame: pd.DataFrame, settings: CleanConfig) -> StageResult:
    if frame.empty:
        return StageResult(as_records(frame), empty_rejections(STAGE))
    cleaned = frame.copy()
    lineages = []
    for row_index, row in enumerate(frame.itertuples(index=False)):
        transforms = []
        for field in TEXT_FIELDS:
            text, applied = clean_text(getattr(row, field) or "", settings)
            cleaned.iat[row_index, cleaned.columns.get_loc(field)] = text
            transforms.extend(f"{field}:{name}" for name in applied)
        lineage = json.loads(row.lineage)
        if transforms:
            lineage["clean"] = transforms
        lineages.append(json.dumps(lineage, sort_keys=True, ensure_ascii=False))
    cleaned["lineage"] = lineages

    reason = pd.Series(pd.NA, index=cleaned.index, dtype="string")
    detail = pd.Series(pd.NA, index=cleaned.index, dtype="string")
    # Instruction rules come last so they win: a record with neither is reported as empty_instruction.
    for field, minimum in (("response", settings.min_response_chars), ("instruction", settings.min_instruction_chars)):
        chars = cleaned[field].str.len()
        too_short = (chars > 0) & (chars < minimum)
        reason = reason.mask(chars == 0, f"empty_{field}").mask(too_short, f"{field}_too_short")
        detail = detail.mask(chars < minimum, chars.map(f"{field} has {{}} chars after cleaning, minimum {minimum}".format))

    dropped_mask = reason.notna()
    # Rejections keep the text as it entered the stage, which is what a reviewer needs to see.
    dropped = frame[dropped_mask.to_numpy()].assign(reason=reason[dropped_mask].to_numpy(),
                                                    detail=detail[dropped_mask].to_numpy())
    return StageResult(as_records(cleaned[~dropped_mask]), as_rejections(dropped, STAGE))
