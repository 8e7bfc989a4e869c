"""Cleaning a conversation's earlier turns and a preference pair's rejected answer.

The clean stage's rules judge a record's final exchange (instruction, input, response). The other
texts a record carries reach the trainer too, so they go through the steps that make any text safe
to train on: the formatting rewrites, PII and the content rules (blocklist, classifier). Length,
quality and language rules are not applied to them: an earlier turn may be a one-word "thanks", and
a rejected answer is meant to be the worse one.

Each such text is judged as a row of its own (user, system and tool turns as an instruction, the
assistant's turns and the rejected answer as a response) by the same runner, then folded back into
its record: a rewrite changes the turn in place and is listed in the record's lineage
(``earlier_turns:pii_redacted``); a drop drops the whole record, with the rule's reason and a
detail naming the turn.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Sequence

import numpy as np
import pandas as pd

from curation_assets.core.load.conversations import read_turns, turns_json
from curation_assets.core.records import NO_TURNS, as_records, as_rejections
from curation_assets.core.rules import RuleRun, Step, run_rules

REJECTED = -1  # the owner index of a pair's rejected answer (turns count from 0)


def has_more_texts(records: pd.DataFrame) -> pd.Series:
    return (records["earlier_turns"] != NO_TURNS) | (records["rejected_response"] != "")


def _text_rows(records: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, int]]]:
    """One row per earlier turn and rejected answer; owners[i] = (record's place, turn index or REJECTED)."""
    rows, owners = [], []
    base_columns = ("record_id", "source", "source_position", "kind", "lineage")
    for place, record in enumerate(records.itertuples(index=False)):
        base = {name: getattr(record, name) for name in base_columns}
        texts = [(index, turn["role"], turn["content"]) for index, turn in enumerate(read_turns(record.earlier_turns))]
        if record.rejected_response:
            texts.append((REJECTED, "assistant", record.rejected_response))
        for index, role, text in texts:
            as_response = role == "assistant"
            rows.append({**base, "instruction": "" if as_response else text, "input": "",
                         "response": text if as_response else ""})
            owners.append((place, index))
    return as_records(pd.DataFrame(rows)), owners


def _where(index: int, records: pd.DataFrame, place: int) -> str:
    if index == REJECTED:
        return "rejected_response"
    role = read_turns(records["earlier_turns"].iat[place])[index]["role"]
    return f"earlier turn {index + 1} ({role})"


def clean_more_texts(records: pd.DataFrame, entered: pd.DataFrame, steps: Sequence[Step], stage: str,
                     examples_per_reason: int) -> tuple[pd.DataFrame, pd.DataFrame, RuleRun | None]:
    """The records with their earlier turns and rejected answers cleaned, the records those drop (as they
    ``entered`` the stage, found by record id), and the runner's result over the texts."""
    records = records.reset_index(drop=True)
    owner_rows = np.flatnonzero(has_more_texts(records).to_numpy())
    if not len(owner_rows):
        return records, as_rejections(entered.iloc[0:0].assign(reason="", detail=""), stage), None
    owners_frame = records.iloc[owner_rows].reset_index(drop=True)
    rows, owners = _text_rows(owners_frame)
    run = run_rules(rows, steps, stage, examples_per_reason)

    dropped: dict[int, tuple[str, str]] = {}
    kept_rows = set(run.kept_rows.tolist())
    dropped_rows = [row for row in range(len(rows)) if row not in kept_rows]
    for row, rejection in zip(dropped_rows, run.rejected.itertuples(index=False)):
        place, index = owners[row]
        if place not in dropped:  # the first text a rule drops names the record's reason
            dropped[place] = (rejection.reason, f"{_where(index, owners_frame, place)}: {rejection.detail}")

    turns = [read_turns(text) for text in owners_frame["earlier_turns"]]
    rejected_answers = owners_frame["rejected_response"].tolist()
    lineages = owners_frame["lineage"].tolist()
    changed: dict[int, tuple[list[str], Counter]] = {}
    for row, kept in zip(run.kept_rows.tolist(), run.kept.itertuples(index=False)):
        place, index = owners[row]
        notes = {name: per_row[row] for name, per_row in run.notes.items() if per_row[row]}
        if kept.lineage == lineages[place] and not notes:
            continue  # nothing rewritten or found
        as_response = index == REJECTED or turns[place][index]["role"] == "assistant"
        text = kept.response if as_response else kept.instruction
        if index == REJECTED:
            rejected_answers[place] = text
        else:
            turns[place][index]["content"] = text
        field = "rejected_response" if index == REJECTED else "earlier_turns"
        transforms, counts = changed.setdefault(place, ([], Counter()))
        for transform in json.loads(kept.lineage).get(stage, []) if kept.lineage != lineages[place] else []:
            named = f"{field}:{transform.split(':', 1)[1]}"
            if named not in transforms:
                transforms.append(named)
        for name, note in notes.items():
            counts.update({(name, key): value for key, value in note.items()})

    result = records.copy()
    result.loc[owner_rows, "earlier_turns"] = [turns_json(t) if t else NO_TURNS for t in turns]
    result.loc[owner_rows, "rejected_response"] = rejected_answers
    result.loc[owner_rows, "lineage"] = [_lineage(lineages[place], stage, *changed[place]) if place in changed
                                         else lineages[place] for place in range(len(owner_rows))]
    drop = np.zeros(len(records), dtype=bool)
    drop[owner_rows[list(dropped)]] = True

    by_id = {owners_frame["record_id"].iat[place]: reason_detail for place, reason_detail in dropped.items()}
    as_entered = entered[entered["record_id"].isin(by_id)]
    rejected = as_entered.assign(reason=[by_id[i][0] for i in as_entered["record_id"]],
                                 detail=[by_id[i][1] for i in as_entered["record_id"]])
    return as_records(result[~drop]), as_rejections(rejected, stage), run


def _lineage(lineage_json: str, stage: str, transforms: list[str], notes: Counter) -> str:
    lineage = json.loads(lineage_json)
    if transforms:
        lineage[stage] = [*lineage.get(stage, []), *transforms]
    for (name, item), count in sorted(notes.items()):
        merged = dict(lineage.get(name) or {})
        merged[item] = merged.get(item, 0) + count
        lineage[name] = dict(sorted(merged.items()))
    return json.dumps(lineage, sort_keys=True, ensure_ascii=False)
