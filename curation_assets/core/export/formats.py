"""Training-file formats (OpenAI chat / TRL conversational, ShareGPT, Alpaca, TRL prompt-completion), as
JSON lines and as Parquet with the same columns.

Output is byte-stable: records in record-id order, keys in a fixed order, UTF-8, ``\\n`` endings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def _user_text(instruction: str, input_: str) -> str:
    return instruction if not input_ else f"{instruction}\n\n{input_}"


def chat_example(instruction: str, input_: str, response: str, system_prompt: str | None) -> dict[str, Any]:
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages += [{"role": "user", "content": _user_text(instruction, input_)}, {"role": "assistant", "content": response}]
    return {"messages": messages}


def sharegpt_example(instruction: str, input_: str, response: str, system_prompt: str | None) -> dict[str, Any]:
    turns = [{"from": "system", "value": system_prompt}] if system_prompt else []
    turns += [{"from": "human", "value": _user_text(instruction, input_)}, {"from": "gpt", "value": response}]
    return {"conversations": turns}


def alpaca_example(instruction: str, input_: str, response: str) -> dict[str, Any]:
    return {"instruction": instruction, "input": input_, "output": response}


def prompt_completion_example(instruction: str, input_: str, response: str) -> dict[str, Any]:
    """TRL's standard prompt-completion layout."""
    return {"prompt": _user_text(instruction, input_), "completion": response}


# Every format's Arrow schema (the Parquet files and the Hugging Face dataset): id and source first.
_TURN = pa.struct([("role", pa.string()), ("content", pa.string())])
_SHAREGPT_TURN = pa.struct([("from", pa.string()), ("value", pa.string())])
_LINEAGE = [("id", pa.string()), ("source", pa.string())]
FORMAT_SCHEMAS = {
    "openai_chat": pa.schema([*_LINEAGE, ("messages", pa.list_(_TURN))]),
    "sharegpt": pa.schema([*_LINEAGE, ("conversations", pa.list_(_SHAREGPT_TURN))]),
    "alpaca": pa.schema([*_LINEAGE, ("instruction", pa.string()), ("input", pa.string()), ("output", pa.string())]),
    "prompt_completion": pa.schema([*_LINEAGE, ("prompt", pa.string()), ("completion", pa.string())]),
}
EXPORT_FORMATS = tuple(FORMAT_SCHEMAS)


def training_example(row, format_: str, system_prompt: str | None = None) -> dict[str, Any]:
    """One record as ``format_``'s example, led by its ``id`` (the record id) and ``source``, so every
    exported example traces back to the warehouse and its source file."""
    if format_ == "openai_chat":
        body = chat_example(row.instruction, row.input, row.response, system_prompt)
    elif format_ == "sharegpt":
        body = sharegpt_example(row.instruction, row.input, row.response, system_prompt)
    elif format_ == "alpaca":
        body = alpaca_example(row.instruction, row.input, row.response)
    elif format_ == "prompt_completion":
        body = prompt_completion_example(row.instruction, row.input, row.response)
    else:
        raise ValueError(f"unknown export format {format_!r}; known: {', '.join(EXPORT_FORMATS)}")
    return {"id": row.record_id, "source": row.source, **body}


def training_examples(frame: pd.DataFrame, format_: str, system_prompt: str | None = None) -> list[dict[str, Any]]:
    ordered = frame.sort_values("record_id", kind="mergesort")
    return [training_example(row, format_, system_prompt) for row in ordered.itertuples(index=False)]


def training_lines(frame: pd.DataFrame, format_: str, system_prompt: str | None = None) -> Iterable[str]:
    for example in training_examples(frame, format_, system_prompt):
        yield json.dumps(example, ensure_ascii=False) + "\n"


def write_parquet_atomically(examples: list[dict[str, Any]], format_: str, path: Path) -> None:
    """The examples as one Parquet file (the format's schema), written beside and renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        pq.write_table(pa.Table.from_pylist(examples, schema=FORMAT_SCHEMAS[format_]), partial)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


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
