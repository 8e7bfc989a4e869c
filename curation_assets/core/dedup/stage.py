"""The whole dedup stage: exact duplicates, repetition, near-duplicates, conflicts, in that order.

1. exact duplicates within the batch (dedup.py), then exact duplicates of records published by
   earlier runs (reason ``exact_duplicate`` naming the earlier record);
2. responses that repeat themselves (Gopher's repetition rules, ``core/text/repetition.py``, the
   measures the clean stage's ``repetition`` rule uses, with this stage's limits): dropped before a
   representative is chosen, or "longest response" would favour them;
3. near-duplicates (near_dup.py), against the batch and everything published earlier;
4. conflicts (conflicts.py).

It returns what the dedup asset publishes in one transaction: the kept records, every rejection,
the ``duplicate_clusters`` and ``conflicts`` tables, and the history rows to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from curation_assets.core.dedup.settings import DedupConfig
from curation_assets.core.dedup import exact as dedup
from curation_assets.core.dedup.conflicts import CONFLICT_COLUMNS, find_conflicts
from curation_assets.core.dedup.earlier import EarlierRecords, FrameHistory, HistorySource
from curation_assets.core.dedup.history import empty_history, history_rows, scheme
from curation_assets.core.dedup.keys import keys_of, record_keys
from curation_assets.core.dedup.near_dup import CLUSTER_COLUMNS, NearDuplicates, find_near_duplicates, record_texts, spec_of
from curation_assets.core.records import as_records, as_rejections, empty_rejections
from curation_assets.core.rules import run_rules
from curation_assets.core.text.repetition import GopherRepetition
from curation_assets.core.dedup.signing import sign_texts, worker_count
from curation_assets.core.stage_result import StageResult

STAGE = dedup.STAGE


@dataclass
class DedupOutcome:
    result: StageResult
    clusters: pd.DataFrame
    conflicts: pd.DataFrame
    history_rows: pd.DataFrame  # rows to write: the kept records, and earlier rows recomputed under new settings
    near: NearDuplicates | None


def _exact_against_history(records: pd.DataFrame, keys: pd.DataFrame, earlier: EarlierRecords | None,
                           fields: list[str]) -> StageResult:
    if records.empty or earlier is None:
        return StageResult(as_records(records), empty_rejections(STAGE))
    own = keys_of(keys, records)["content_key"]
    match = own.map(earlier.content_matches(own.unique().tolist())).reset_index(drop=True)
    hit = match.notna().to_numpy()
    dropped = records[hit].assign(
        reason="exact_duplicate",
        detail="duplicate of " + match[hit].astype(str).to_numpy() + " (published by an earlier run) after normalization of "
        + "+".join(fields),
    )
    return StageResult(as_records(records[~hit]), as_rejections(dropped, STAGE))


def _earlier_records(records: pd.DataFrame, settings: DedupConfig, history: pd.DataFrame | HistorySource | None,
                     current: str) -> tuple[EarlierRecords | None, pd.DataFrame]:
    """What the batch is compared with, and the earlier rows re-signed because other settings made them."""
    near_settings = settings.near_duplicates
    if history is None or not near_settings.incremental:
        return None, empty_history()
    source = FrameHistory(history) if isinstance(history, pd.DataFrame) else history
    stale = source.other_schemes(current)
    stale = stale[~stale["record_id"].isin(records["record_id"])].reset_index(drop=True)
    redone = empty_history()
    if len(stale):
        spec = spec_of(near_settings)
        signatures = sign_texts(record_texts(stale, near_settings.fields), spec, worker_count(near_settings.workers))[1]
        redone = history_rows(stale, signatures, record_keys(stale, settings.fields), current)
    return EarlierRecords(source, current, records["record_id"], redone), redone


def deduplicate(
    records: pd.DataFrame,
    settings: DedupConfig,
    source_rank: Callable[[str], int],
    history: pd.DataFrame | HistorySource | None = None,
) -> DedupOutcome:
    """Run every dedup pass over ``records``; ``history`` holds what earlier runs published (history.py):
    its rows, or a source that reads only what each pass asks for (earlier.py)."""
    near_settings = settings.near_duplicates
    fields = list(settings.fields)
    current = scheme(near_settings, fields)
    keys = record_keys(records, fields)  # every text normalized and tokenized once, here
    earlier, refreshed = _earlier_records(records, settings, history, current)

    rejections = []
    exact = dedup.exact_dedup(records, fields, source_rank, keys)
    rejections.append(exact.rejected)
    against_history = _exact_against_history(exact.kept, keys, earlier, fields)
    rejections.append(against_history.rejected)
    repetition = [GopherRepetition("repetition", settings.repetition)] if settings.repetition.enabled else []
    repeated = run_rules(against_history.kept, repetition, STAGE)
    rejections.append(repeated.rejected)

    survivors = repeated.kept
    near = None
    if near_settings.enabled:
        near = find_near_duplicates(survivors, near_settings, source_rank, earlier)
        rejections.append(near.result.rejected)
        survivors, signatures = near.result.kept, near.kept_signatures
    else:
        spec = spec_of(near_settings)
        signatures = sign_texts(record_texts(survivors, near_settings.fields), spec,
                                worker_count(near_settings.workers))[1]

    conflict_history = None
    if earlier is not None:
        own = keys_of(keys, survivors)
        conflict_history = earlier.conflict_candidates(own["prompt_key"].unique().tolist(),
                                                       own["response_key"].unique().tolist())
    conflicts = find_conflicts(survivors, settings.conflicts, near_settings.keep, source_rank, conflict_history, keys)
    rejections.append(conflicts.result.rejected)
    kept = conflicts.result.kept
    row_of = pd.Series(np.arange(len(survivors)), index=survivors["record_id"].to_numpy())
    kept_signatures = signatures[row_of.loc[kept["record_id"].to_numpy()].to_numpy()]
    order = np.argsort(kept["record_id"].to_numpy(), kind="stable")
    kept, kept_signatures = kept.iloc[order], kept_signatures[order]
    new_rows = history_rows(kept, kept_signatures, keys, current)
    clusters = near.clusters if near is not None else pd.DataFrame({column: [] for column in CLUSTER_COLUMNS})
    return DedupOutcome(
        result=StageResult(as_records(kept), _all_rejections(rejections)),
        clusters=clusters,
        conflicts=conflicts.table if len(conflicts.table) else pd.DataFrame({c: [] for c in CONFLICT_COLUMNS}),
        history_rows=pd.concat([part for part in (new_rows, refreshed) if len(part)] or [new_rows], ignore_index=True),
        near=near,
    )


def _all_rejections(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [part for part in parts if len(part)]
    if not parts:
        return empty_rejections(STAGE)
    return pd.concat(parts, ignore_index=True).sort_values("record_id", kind="mergesort").reset_index(drop=True)
