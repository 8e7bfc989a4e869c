"""Conflicting records: one prompt with different answers, or one answer to different prompts.

- ``conflicting_response``: the same normalized instruction + input (NFKC, casefold, whitespace)
  with responses whose tokens differ (case, punctuation and spacing aside). By the time this
  runs, responses that differ only slightly were merged as near-duplicates, so what is left
  differs materially: a training set would teach two answers to one question.
- ``reused_response``: the same response (by its tokens, at least ``min_response_tokens`` of
  them) for different prompts.

Each group is resolved by its kind's policy: ``best`` keeps the record the keep policy ranks
first, ``first`` the earliest (source order, then position), ``drop_all`` none, ``keep_all``
every one (the group is only listed). A record published by an earlier run is never rejected: it
wins the group, and under ``drop_all`` it is the only one left. Prompt conflicts are resolved
first; the survivors are then checked for reused responses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from curation_assets.core.dedup.settings import ConflictsConfig
from curation_assets.core.dedup.earlier import CONFLICT_COLUMNS as CONFLICT_KEY_COLUMNS
from curation_assets.core.dedup.keys import PROMPT_FIELDS, keys_of, record_keys
from curation_assets.core.dedup.batch import RANK_COLUMNS
from curation_assets.core.dedup.keep import KeepCriterion, preference, repairs_of
from curation_assets.core.located import LOCATION_COLUMNS, FrameTexts, TextSource
from curation_assets.core.records import as_records, as_rejections
from curation_assets.core.text.tokens import words
from curation_assets.core.stage_result import StageResult

STAGE = "dedup"
SAME_PROMPT = "conflicting_response"
SAME_RESPONSE = "reused_response"
CONFLICT_COLUMNS = ("conflict_id", "kind", "size", "record_ids", "kept_ids", "policy", "shared_text")
_SHARED_TEXT_CHARS = 200
_KEEP_FIRST: tuple[KeepCriterion, ...] = ("earliest_position",)


@dataclass
class Conflicts:
    result: StageResult
    table: pd.DataFrame  # the conflicts table


def _groups(keys: pd.Series, distinct: pd.Series) -> list[np.ndarray]:
    """Row positions of each key whose rows hold more than one distinct value of ``distinct`` (missing
    values aside), in key order, each group's positions ascending.

    Keys are numbered by hashing, not sorting (a million 24-character keys sort in seconds); only the
    conflicted keys, a few, are put in order."""
    codes, uniques = pd.factorize(keys.to_numpy(dtype=object))
    values = pd.factorize(distinct.to_numpy(dtype=object))[0]
    counted = (codes >= 0) & (values >= 0)
    width = int(values.max(initial=0)) + 1  # a (key, value) pair as one integer: key * width + value
    pairs = np.unique(codes[counted].astype(np.int64) * width + values[counted])
    distinct_per_key = np.bincount(pairs // width, minlength=len(uniques))
    conflicted = np.flatnonzero(distinct_per_key > 1)
    if len(conflicted) == 0:
        return []
    conflicted = conflicted[np.argsort(uniques[conflicted].astype(str), kind="stable")]
    rank = np.full(len(uniques), -1, dtype=np.int64)
    rank[conflicted] = np.arange(len(conflicted))
    member_rank = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
    members = np.flatnonzero(member_rank >= 0)
    members = members[np.argsort(member_rank[members], kind="stable")]
    bounds = np.searchsorted(member_rank[members], np.arange(len(conflicted) + 1))
    return [members[bounds[group]:bounds[group + 1]] for group in range(len(conflicted))]


def _resolve(universe: pd.DataFrame, kind: str, keys: pd.Series, distinct: pd.Series, policy: str,
             keep: Sequence[KeepCriterion], source_rank: Callable[[str], int], text_column: str,
             positions: np.ndarray):
    """The groups' rows (``shared_text`` still to read: the text of ``_first``, a universe position,
    in column ``_text_column``), and the rejected rows with their notes. ``positions``: each row's
    position in the whole universe."""
    rows, rejected, details = [], [], []
    criteria = keep if policy in ("best", "keep_all") else _KEEP_FIRST
    places = preference(universe, criteria, source_rank)
    fixed = universe["fixed"].to_numpy()
    ids = universe["record_id"].to_numpy(dtype=object)  # once: a column of Arrow strings converts in O(rows)
    key_values = keys.to_numpy(dtype=object)
    for group in _groups(keys, distinct):
        if fixed[group].all():  # earlier runs' records only: not this batch's conflict
            continue
        group = group[np.lexsort((places[group], ~fixed[group]))]
        if policy == "keep_all":
            kept = group
        elif fixed[group].any():
            kept = group[fixed[group]]
        elif policy == "drop_all":
            kept = group[:0]
        else:
            kept = group[:1]
        conflict_id = hashlib.sha256(f"{kind}\x1f{key_values[group[0]]}".encode()).hexdigest()[:20]
        rows.append({
            "conflict_id": conflict_id, "kind": kind, "size": len(group),
            "record_ids": ids[group].tolist(), "kept_ids": ids[kept].tolist(), "policy": policy,
            "_first": positions[group[0]], "_text_column": text_column,
        })
        kept_note = ", ".join(ids[kept]) if len(kept) else "none (policy drop_all)"
        what = ("same instruction+input, different response" if kind == SAME_PROMPT
                else "same response, different instruction+input")
        kept_set = set(kept.tolist())
        for member in group.tolist():
            if not fixed[member] and member not in kept_set:
                rejected.append(member)
                details.append(f"conflict {conflict_id}: {what}; kept {kept_note}")
    return rows, rejected, details


def _sharing_keys(history: pd.DataFrame | None, batch: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """The earlier rows that can join a group with a batch record: those sharing its prompt or response key."""
    if history is None or history.empty:
        return pd.DataFrame({column: [] for column in CONFLICT_KEY_COLUMNS})
    history = history[~history["record_id"].isin(records["record_id"])]
    sharing = history["prompt_key"].isin(batch["prompt_key"]) | history["response_key"].isin(batch["response_key"])
    return history.loc[sharing.to_numpy(), CONFLICT_KEY_COLUMNS]


def find_conflicts(
    records: pd.DataFrame,
    settings: ConflictsConfig,
    keep: Sequence[KeepCriterion],
    source_rank: Callable[[str], int],
    history: pd.DataFrame | None = None,
    keys: pd.DataFrame | None = None,
) -> Conflicts:
    """Conflict groups in ``records`` (whole records held in memory; and against ``history``, whose
    records are never rejected): groups with at least one record of ``records``. ``keys``: the
    records' ``record_keys``, when already made; ``history``: earlier rows with their prompt and
    response keys (``earlier.CONFLICT_COLUMNS``)."""
    records = records.reset_index(drop=True)
    keys = record_keys(records, PROMPT_FIELDS) if keys is None else keys
    own = keys_of(keys, records)
    rows = records.assign(
        response_chars=records["response"].fillna("").astype(str).str.len().astype("int64"),
        repairs=repairs_of(records["lineage"].tolist()) if "lineage" in records else 0,
        prompt_key=own["prompt_key"].to_numpy(), response_key=own["response_key"].to_numpy(),
        response_tokens=own["response_tokens"].to_numpy(), shard=0, shard_row=np.arange(len(records)))
    table, dropped = conflict_groups(rows, settings, keep, source_rank, FrameTexts(records), history)
    rejected = records.index.isin(dropped.index)
    result = StageResult(as_records(records[~rejected]), as_rejections(
        records.loc[dropped.index].assign(reason=dropped["reason"], detail=dropped["detail"]), STAGE))
    return Conflicts(result, table)


def conflict_groups(
    records: pd.DataFrame,
    settings: ConflictsConfig,
    keep: Sequence[KeepCriterion],
    source_rank: Callable[[str], int],
    texts: TextSource,
    history: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The conflicts table of the batch rows ``records`` (batch.py: ranking columns and keys), and the
    rows it rejects with ``reason`` and ``detail``; texts are read from ``texts`` only for the text
    each group shows."""
    batch = records.loc[:, [*RANK_COLUMNS, "prompt_key", "response_key", "response_tokens"]].assign(fixed=False)
    earlier = _sharing_keys(history, batch, records)
    earlier = earlier.assign(
        fixed=True, response_tokens=[len(words(text)) for text in earlier["response"].fillna("")],
        response_chars=earlier["response"].fillna("").astype(str).str.len().astype("int64"), repairs=0)
    parts = [batch, earlier.loc[:, [*batch.columns]]]
    universe = pd.concat([part for part in parts if len(part)] or parts[:1], ignore_index=True)
    rows, rejected_at = [], []
    alive = np.ones(len(universe), dtype=bool)
    if settings.same_prompt and len(universe):
        found, rejected, notes = _resolve(universe, SAME_PROMPT, universe["prompt_key"], universe["response_key"],
                                          settings.same_prompt, keep, source_rank, "instruction",
                                          np.arange(len(universe)))
        rows += found
        rejected_at += [(index, SAME_PROMPT, note) for index, note in zip(rejected, notes)]
        alive[rejected] = False
    if settings.same_response and alive.any():
        survivors = universe[alive]
        survivors = survivors[(survivors["response_tokens"] >= settings.min_response_tokens).to_numpy()]
        positions = survivors.index.to_numpy()
        survivors = survivors.reset_index(drop=True)
        found, rejected, notes = _resolve(survivors, SAME_RESPONSE, survivors["response_key"], survivors["prompt_key"],
                                          settings.same_response, keep, source_rank, "response", positions)
        rows += found
        rejected_at += [(positions[index], SAME_RESPONSE, note) for index, note in zip(rejected, notes)]

    _read_shared_texts(rows, records, earlier, texts)
    rejected_positions = [index for index, _, _ in rejected_at]
    dropped = records.iloc[rejected_positions].assign(
        reason=[reason for _, reason, _ in rejected_at], detail=[note for _, _, note in rejected_at])
    table = pd.DataFrame(rows, columns=list(CONFLICT_COLUMNS)).sort_values(["kind", "conflict_id"], kind="mergesort")
    return table.reset_index(drop=True), dropped


def _read_shared_texts(rows: list[dict], records: pd.DataFrame, earlier: pd.DataFrame, texts: TextSource) -> None:
    """Each group's ``shared_text``: its first member's instruction or response, read in one pass."""
    batch_size = len(records)
    for column in ("instruction", "response"):
        wanted = [row for row in rows if row["_text_column"] == column]
        own = [row for row in wanted if row["_first"] < batch_size]
        if own:
            found = texts.columns(records.iloc[[row["_first"] for row in own]].loc[:, LOCATION_COLUMNS], [column])
            for row, text in zip(own, found[column]):
                row["shared_text"] = str(text)[:_SHARED_TEXT_CHARS]
        for row in wanted:
            if row["_first"] >= batch_size:
                row["shared_text"] = str(earlier[column].iloc[row["_first"] - batch_size])[:_SHARED_TEXT_CHARS]
