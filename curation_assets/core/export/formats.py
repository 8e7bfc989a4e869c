"""Training-file formats (OpenAI chat / TRL conversational, ShareGPT, Alpaca, TRL prompt-completion, TRL
preference), as JSON lines and as Parquet with the same columns. A conversation's earlier turns are in
every format's example (as turns, as Alpaca's history, or as the prompt's transcript).

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

from curation_assets.core.load.conversations import read_turns
from curation_assets.core.records import SINGLE_TURN_DEFAULTS


def _user_text(instruction: str, input_: str) -> str:
    return instruction if not input_ else f"{instruction}\n\n{input_}"


def conversation_turns(row, system_prompt: str | None) -> list[dict[str, str]]:
    """The record as the turns a chat model sees: a system prompt (the record's own, else the configured
    one), the earlier turns, the final user turn; the answer is not included."""
    earlier = [{"role": turn["role"], "content": turn["content"]} for turn in read_turns(row.earlier_turns)]
    if system_prompt and not (earlier and earlier[0]["role"] == "system"):
        earlier = [{"role": "system", "content": system_prompt}, *earlier]
    return [*earlier, {"role": "user", "content": _user_text(row.instruction, row.input)}]


def chat_example(row, system_prompt: str | None) -> dict[str, Any]:
    return {"messages": [*conversation_turns(row, system_prompt), {"role": "assistant", "content": row.response}]}


SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt", "tool": "tool"}


def sharegpt_example(row, system_prompt: str | None) -> dict[str, Any]:
    turns = [*conversation_turns(row, system_prompt), {"role": "assistant", "content": row.response}]
    return {"conversations": [{"from": SHAREGPT_ROLES[turn["role"]], "value": turn["content"]} for turn in turns]}


def alpaca_example(row, system_prompt: str | None) -> dict[str, Any]:
    """Alpaca with LLaMA-Factory's ``system`` and ``history`` (earlier [prompt, answer] pairs); a tool turn
    is part of the next prompt, as the model reads it there."""
    turns = conversation_turns(row, system_prompt)
    system = turns[0]["content"] if turns[0]["role"] == "system" else ""
    history: list[list[str]] = []
    prompt: list[str] = []
    for turn in turns[1 if system else 0:-1]:
        if turn["role"] == "assistant":
            history.append(["\n\n".join(prompt), turn["content"]])
            prompt = []
        else:
            prompt.append(turn["content"] if turn["role"] == "user" else f"[{turn['role']}] {turn['content']}")
    instruction = row.instruction if not prompt else "\n\n".join([*prompt, row.instruction])
    return {"instruction": instruction, "input": row.input, "output": row.response, "system": system,
            "history": history}


_SPEAKERS = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}


def prompt_completion_example(row, system_prompt: str | None) -> dict[str, Any]:
    """TRL's standard prompt-completion layout; a conversation's prompt is its transcript so far, each
    turn led by its speaker, ending with ``Assistant:``."""
    turns = read_turns(row.earlier_turns)
    if not turns:
        return {"prompt": _user_text(row.instruction, row.input), "completion": row.response}
    transcript = [f"{_SPEAKERS[turn['role']]}: {turn['content']}" for turn in conversation_turns(row, None)]
    return {"prompt": "\n\n".join([*transcript, "Assistant:"]), "completion": row.response}


def preference_example(row, system_prompt: str | None) -> dict[str, Any]:
    """TRL's conversational preference layout (DPOTrainer, RewardTrainer): prompt turns, chosen and rejected answers."""
    return {"prompt": conversation_turns(row, system_prompt),
            "chosen": [{"role": "assistant", "content": row.response}],
            "rejected": [{"role": "assistant", "content": row.rejected_response}]}


# Every format's Arrow schema (the Parquet files and the Hugging Face dataset): id and source first.
_TURN = pa.struct([("role", pa.string()), ("content", pa.string())])
_SHAREGPT_TURN = pa.struct([("from", pa.string()), ("value", pa.string())])
_LINEAGE = [("id", pa.string()), ("source", pa.string())]
FORMAT_SCHEMAS = {
    "openai_chat": pa.schema([*_LINEAGE, ("messages", pa.list_(_TURN))]),
    "sharegpt": pa.schema([*_LINEAGE, ("conversations", pa.list_(_SHAREGPT_TURN))]),
    "alpaca": pa.schema([*_LINEAGE, ("instruction", pa.string()), ("input", pa.string()), ("output", pa.string()),
                         ("system", pa.string()), ("history", pa.list_(pa.list_(pa.string())))]),
    "prompt_completion": pa.schema([*_LINEAGE, ("prompt", pa.string()), ("completion", pa.string())]),
    "preference": pa.schema([*_LINEAGE, ("prompt", pa.list_(_TURN)), ("chosen", pa.list_(_TURN)),
                             ("rejected", pa.list_(_TURN))]),
}
EXPORT_FORMATS = tuple(FORMAT_SCHEMAS)
_EXAMPLES = {"openai_chat": chat_example, "sharegpt": sharegpt_example, "alpaca": alpaca_example,
             "prompt_completion": prompt_completion_example, "preference": preference_example}


def exported(frame: pd.DataFrame, format_: str) -> pd.Series:
    """Which records ``format_`` exports: a preference format the pairs only; the others every record
    (a pair as its prompt and chosen answer)."""
    if format_ == "preference":
        return frame["rejected_response"].fillna("") != ""
    return pd.Series(True, index=frame.index)


def training_example(row, format_: str, system_prompt: str | None = None) -> dict[str, Any]:
    """One record as ``format_``'s example, led by its ``id`` (the record id) and ``source``, so every
    exported example traces back to the warehouse and its source file."""
    if format_ not in _EXAMPLES:
        raise ValueError(f"unknown export format {format_!r}; known: {', '.join(EXPORT_FORMATS)}")
    return {"id": row.record_id, "source": row.source, **_EXAMPLES[format_](row, system_prompt)}


def training_examples(frame: pd.DataFrame, format_: str, system_prompt: str | None = None) -> list[dict[str, Any]]:
    frame = as_export_rows(frame)
    ordered = frame[exported(frame, format_)].sort_values("record_id", kind="mergesort")
    return [training_example(row, format_, system_prompt) for row in ordered.itertuples(index=False)]


def as_export_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows read for export, with the conversation and preference columns a single-turn frame may lack."""
    return frame.assign(**{column: frame[column].fillna(value) if column in frame else value
                           for column, value in SINGLE_TURN_DEFAULTS.items()})


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
