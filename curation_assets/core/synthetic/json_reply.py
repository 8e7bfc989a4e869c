"""Reading a JSON object out of a model reply that may wrap it in prose or a code fence."""

from __future__ import annotations

import json
import re

_FENCE = re.compile(r"```(?:json|python|py)?\s*\n(.*?)```", re.DOTALL)


def json_object(text: str | None) -> dict | None:
    """The first JSON object in ``text``, or None when there is none."""
    if not text:
        return None
    candidates = [text.strip(), *(block.strip() for block in _FENCE.findall(text))]
    start = text.find("{")
    if start >= 0:
        candidates.append(text[start: text.rfind("}") + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(value, dict):
            return value
    return None


def code_block(text: str) -> str:
    """The code inside the first fenced block, else the text itself."""
    match = _FENCE.search(text or "")
    return match.group(1) if match else (text or "")
