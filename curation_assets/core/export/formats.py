"""Training-file formats: OpenAI chat messages or Alpaca, one JSON object per line.

Output is byte-stable: records in record-id order, keys in a fixed order, UTF-8, ``\\n`` endings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

import pandas as pd


def chat_example(instruction: str, input_: str, response: str, system_prompt: str | None) -> dict[str, Any]:
    user = instruction if not input_ else f"{instruction}\n\n{input_}"
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": response}]
    return {"messages": messages}


def alpaca_example(instruction: str, input_: str, response: str) -> dict[str, Any]:
    return {"instruction": instruction, "input": input_, "output": response}


def training_lines(frame: pd.DataFrame, format_: str, system_prompt: str | None = None) -> Iterable[str]:
    ordered = frame.sort_values("record_id", kind="mergesort")
    for row in ordered.itertuples(index=False):
        if format_ == "openai_chat":
            example = chat_example(row.instruction, row.input, row.response, system_prompt)
        elif format_ == "alpaca":
            example = alpaca_example(row.instruction, row.input, row.response)
        else:
            raise ValueError(f"unknown export format {format_!r}")
        yield json.dumps(example, ensure_ascii=False) + "\n"


def write_jsonl(lines: Iterable[str], path) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for line in lines:
            handle.write(line)
            count += 1
    return count


def write_jsonl_atomically(lines: Iterable[str], path: Path) -> int:
    """Write to a sibling file, then rename: readers never see a half-written export."""
    partial = path.with_name(path.name + ".partial")
    try:
        count = write_jsonl(lines, partial)
        os.replace(partial, path)
    except BaseException:  # a full disk, a bad record: no half-written file is left beside the exports
        partial.unlink(missing_ok=True)
        raise
    return count
