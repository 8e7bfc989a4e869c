"""The canonical record schema shared by every stage, and the normalization that identity rests on."""

from __future__ import annotations

import hashlib
import unicodedata

import pandas as pd

from curation_assets.core.secrets import redact_secrets

TEXT_FIELDS = ("instruction", "input", "response")

# Column order is part of the contract: every record table in the warehouse has exactly these.
RECORD_COLUMNS = (
    "record_id",
    "source",
    "source_position",
    "instruction",
    "input",
    "response",
    "rejected_response",
    "earlier_turns",
    "kind",
    "lineage",
)
RECORD_DTYPES = {
    "record_id": "string",
    "source": "string",
    "source_position": "int64",
    "instruction": "string",
    "input": "string",
    "response": "string",
    "rejected_response": "string",
    "earlier_turns": "string",
    "kind": "string",
    "lineage": "string",
}
KINDS = ("real", "synthetic")
NO_TURNS = "[]"  # earlier_turns of a single-turn record

REJECTION_COLUMNS = (
    "record_id",
    "source",
    "source_position",
    "stage",
    "reason",
    "detail",
    "instruction",
    "input",
    "response",
    "rejected_response",
    "earlier_turns",
    "kind",
    "lineage",
)
# What each column holds: the warehouse catalog's column descriptions (Dagster's column schema).
RECORD_COLUMN_DESCRIPTIONS = {
    "record_id": "Stable id: a hash of the source and the record's place in it (or of a synthetic record's origin).",
    "source": "The configured source, synthetic batch or inbox file (inbox/<file>) the record came from.",
    "source_position": "Where in its source: the line (JSONL), row (CSV, Parquet) or element (JSON array), from 1.",
    "instruction": "The prompt: what the model is asked to do; in a conversation, the final user turn.",
    "input": "Optional context for the instruction (empty when none).",
    "response": "The answer the model should learn to give (a preference pair's chosen answer); in a conversation, the final assistant turn.",
    "rejected_response": "A preference pair's dispreferred answer to the same prompt; empty for a supervised (SFT) record.",
    "earlier_turns": "JSON list of the conversation's turns ({role, content}) before the final user turn: system, user, assistant, tool; [] for a single-turn record.",
    "kind": "real (written by people or logged) or synthetic (generated).",
    "lineage": "JSON: license, generator, prompt version, the rewrites applied, and where each came from.",
}
REJECTION_COLUMN_DESCRIPTIONS = {
    **RECORD_COLUMN_DESCRIPTIONS,
    "stage": "The stage that dropped the record (load, synthetic, verify, mix, clean, decontaminate, dedup, split).",
    "reason": "Why, as a short code (exact_duplicate, pii, contaminated, ...): the funnel groups by stage and reason.",
    "detail": "The evidence: the rule's finding, the duplicate's id, the benchmark matched (secrets redacted).",
}
REJECTION_DTYPES = {**RECORD_DTYPES, "stage": "string", "reason": "string", "detail": "string"}
REJECTION_DTYPES["source_position"] = "Int64"  # a file-level problem may have no position



def normalize_text(text: str) -> str:
    """NFKC, casefold, collapse whitespace: equal after this means 'the same text' for dedup."""
    # str.split() splits on exactly what the regex \s matches (str.isspace), at a third of the cost.
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def record_id(source: str, position: int, item: int | None, instruction: str, input_: str, response: str,
              rejected_response: str = "", earlier_turns: str = NO_TURNS) -> str:
    """A stable id: the hash of where the record came from and what it said when loaded."""
    parts = [source, str(position), "" if item is None else str(item), instruction, input_, response]
    if rejected_response or earlier_turns != NO_TURNS:  # a single-turn record's id is as it always was
        parts += [rejected_response, earlier_turns]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def content_key(frame: pd.DataFrame, fields: tuple[str, ...] | list[str]) -> pd.Series:
    """The normalized content of ``fields`` joined, one string per record."""
    normalized = [frame[field].fillna("").map(normalize_text) for field in fields]
    joined = normalized[0]
    for column in normalized[1:]:
        joined = joined + "\x1f" + column
    return joined


def empty_records() -> pd.DataFrame:
    return as_records(pd.DataFrame({column: [] for column in RECORD_COLUMNS}))


# A single-turn supervised record's values of the conversation and preference columns, which a
# stage building single-turn records need not spell out.
SINGLE_TURN_DEFAULTS = {"rejected_response": "", "earlier_turns": NO_TURNS}


def as_records(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with exactly the record columns, in order, with their dtypes (a frame without the
    conversation and preference columns holds single-turn supervised records)."""
    defaults = {column: value if column not in frame else frame[column].fillna(value)
                for column, value in SINGLE_TURN_DEFAULTS.items()
                if column not in frame or frame[column].hasnans}
    if defaults:
        frame = frame.assign(**defaults)
    return frame.loc[:, list(RECORD_COLUMNS)].astype(RECORD_DTYPES).reset_index(drop=True)


def as_rejections(frame: pd.DataFrame, stage: str) -> pd.DataFrame:
    """Rejected rows in the rejections schema; ``frame`` carries record columns + reason + detail."""
    frame = frame.copy()
    frame["stage"] = stage
    for column in REJECTION_COLUMNS:
        if column not in frame:
            frame[column] = SINGLE_TURN_DEFAULTS.get(column)
    if len(frame):  # a detail says what a check saw, which may be a secret (core/secrets.py)
        frame["detail"] = redact_secrets(frame["detail"].astype(object).tolist())
    return frame.loc[:, list(REJECTION_COLUMNS)].astype(REJECTION_DTYPES).reset_index(drop=True)


def empty_rejections(stage: str) -> pd.DataFrame:
    return as_rejections(pd.DataFrame({"reason": pd.Series([], dtype="string")}), stage)


def over_long_fields(texts: dict, limit: int) -> str | None:
    """Which of a record's texts are longer than ``limit`` characters, said for a rejection detail."""
    over = [f"{name} ({len(text):,} characters)" for name, text in texts.items()
            if isinstance(text, str) and len(text) > limit]
    return f"{', '.join(over)} longer than {limit:,}" if over else None


def cut_to(texts: dict, limit: int) -> dict:
    """The texts as a rejection keeps them: each cut to ``limit`` characters (the source keeps the whole)."""
    return {name: text[:limit] if isinstance(text, str) else text for name, text in texts.items()}
