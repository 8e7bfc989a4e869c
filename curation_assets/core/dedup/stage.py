"""The whole dedup stage: exact duplicates, repetition, near-duplicates, conflicts, in that order.

1. exact duplicates within the batch (dedup.py), then exact duplicates of records published by
   earlier runs (reason ``exact_duplicate`` naming the earlier record);
2. responses that repeat themselves (Gopher's repetition rules, ``core/text/repetition.py``, the
   measures the clean stage's ``repetition`` rule uses, with this stage's limits): dropped before a
   representative is chosen, or "longest response" would favour them;
3. near-duplicates (near_dup.py), against the batch and everything published earlier;
4. conflicts (conflicts.py).

Every pass decides over the batch's slim rows (batch.py: ranking columns, keys, signatures; no
text), reading texts back only where it must look at them (candidate pairs, examples), so a batch
of any size is decided in one process from shards signed on many (``decide``). ``deduplicate``
runs the same over records held in memory. Either returns what the dedup asset publishes in one
transaction: the kept records, every rejection, the ``duplicate_clusters`` and ``conflicts``
tables, and the history rows to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from curation_assets.core.dedup.settings import DedupConfig
from curation_assets.core.dedup import exact as dedup
from curation_assets.core.dedup.batch import BATCH_COLUMNS, DedupBatch, joined_texts, sign_records
from curation_assets.core.dedup.conflicts import CONFLICT_COLUMNS, conflict_groups
from curation_assets.core.dedup.exact import exact_duplicates
from curation_assets.core.dedup.earlier import EarlierRecords, FrameHistory, HistorySource
from curation_assets.core.dedup.history import empty_history, history_rows, scheme
from curation_assets.core.dedup.keys import KEY_COLUMNS, record_keys
from curation_assets.core.dedup.near_dup import CLUSTER_COLUMNS, IndexFactory, NearDuplicates, near_duplicates, spec_of
from curation_assets.core.located import FrameTexts, TextSource
from curation_assets.core.records import as_records, as_rejections, empty_rejections
from curation_assets.core.dedup.signing import sign_texts, worker_count
from curation_assets.core.dedup.spilled import SpilledSignatures
from curation_assets.core.stage_result import StageResult

STAGE = dedup.STAGE


@dataclass
class DedupDecision:
    """The verdict on a batch: its rows (batch.py) kept and rejected (with ``reason`` and ``detail``),
    both by record id, and what the stage writes beside them."""

    kept: pd.DataFrame
    rejected: pd.DataFrame
    signatures: np.ndarray | SpilledSignatures  # the batch's, by row position
    clusters: pd.DataFrame
    conflicts: pd.DataFrame
    refreshed: pd.DataFrame  # earlier history rows re-signed under the current settings
    scheme: str
    near: NearDuplicates | None

    @property
    def kept_signatures(self) -> np.ndarray:
        """The kept rows' signatures, aligned with ``kept`` (read back, when the batch's were spilled)."""
        return self.signatures[self.kept.index.to_numpy()]


@dataclass
class DedupOutcome:
    result: StageResult
    clusters: pd.DataFrame
    conflicts: pd.DataFrame
    history_rows: pd.DataFrame  # rows to write: the kept records, and earlier rows recomputed under new settings
    near: NearDuplicates | None


def _exact_against_history(records: pd.DataFrame, earlier: EarlierRecords | None,
                           fields: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``records``: batch rows (with their ``content_key``)."""
    if records.empty or earlier is None:
        return records, records.iloc[:0].assign(reason=[], detail=[])
    own = records["content_key"]
    match = own.map(earlier.content_matches(own.unique())).reset_index(drop=True)
    hit = match.notna().to_numpy()
    dropped = records[hit].assign(
        reason="exact_duplicate",
        detail="duplicate of " + match[hit].astype(str).to_numpy() + " (published by an earlier run) after normalization of "
        + "+".join(fields),
    )
    return records[~hit], dropped


def _earlier_records(records: pd.DataFrame, settings: DedupConfig, history: pd.DataFrame | HistorySource | None,
                     current: str) -> tuple[EarlierRecords | None, pd.DataFrame]:
    """What the batch is compared with, and the earlier rows re-signed because other settings made them."""
    near_settings = settings.near_duplicates
    if history is None or not near_settings.incremental:
        return None, empty_history()
    source = FrameHistory(history) if isinstance(history, pd.DataFrame) else history
    if source.is_empty():  # a first run: nothing to compare with, nothing to look up per key
        return None, empty_history()
    stale = source.other_schemes(current)
    stale = stale[~stale["record_id"].isin(records["record_id"])].reset_index(drop=True)
    redone = empty_history()
    if len(stale):
        spec = spec_of(near_settings)
        signatures = sign_texts(joined_texts(stale, near_settings.fields), spec, worker_count(near_settings.workers))[1]
        redone = history_rows(stale, signatures, record_keys(stale, settings.fields, settings.compared_roles), current)
    return EarlierRecords(source, current, records["record_id"], redone), redone


def deduplicate(
    records: pd.DataFrame,
    settings: DedupConfig,
    source_rank: Callable[[str], int],
    history: pd.DataFrame | HistorySource | None = None,
) -> DedupOutcome:
    """Every dedup pass over ``records`` held in memory; ``history`` holds what earlier runs published
    (history.py): its rows, or a source that reads only what each pass asks for (earlier.py)."""
    records = records.reset_index(drop=True)
    batch = sign_records(records, settings, workers=settings.near_duplicates.workers)
    decision = decide(batch, FrameTexts(records), settings, source_rank, history)
    kept = records.iloc[decision.kept.index]
    rejected = records.iloc[decision.rejected.index].assign(reason=decision.rejected["reason"].to_numpy(),
                                                            detail=decision.rejected["detail"].to_numpy())
    keys = batch.rows.set_index("record_id").loc[:, list(KEY_COLUMNS)]
    new_rows = history_rows(kept, decision.kept_signatures, keys, decision.scheme)
    return DedupOutcome(
        result=StageResult(as_records(kept), as_rejections(rejected, STAGE) if len(rejected) else empty_rejections(STAGE)),
        clusters=decision.clusters,
        conflicts=decision.conflicts,
        history_rows=pd.concat([part for part in (new_rows, decision.refreshed) if len(part)] or [new_rows],
                               ignore_index=True),
        near=decision.near,
    )


def decide(
    batch: DedupBatch,
    texts: TextSource,
    settings: DedupConfig,
    source_rank: Callable[[str], int],
    history: pd.DataFrame | HistorySource | None = None,
    lap: Callable[[str], None] = lambda phase: None,
    index_factory: IndexFactory | None = None,
) -> DedupDecision:
    """Every dedup pass over ``batch`` (its rows and signatures; ``texts`` reads a row's text back);
    ``lap(pass)`` is told as each pass ends (exact, near, conflicts), to time and size them. LSH runs
    over the batch's band keys, or where ``index_factory``'s index runs it (when they were shuffled)."""
    near_settings = settings.near_duplicates
    fields = list(settings.fields)
    current = scheme(near_settings, fields)
    rows = batch.rows  # each row carries its keys (KEY_COLUMNS)
    earlier, refreshed = _earlier_records(rows, settings, history, current)

    survivors, dropped = exact_duplicates(rows, fields, source_rank) if len(rows) else (rows, rows.iloc[:0])
    rejections = [dropped]
    survivors, dropped = _exact_against_history(survivors, earlier, fields)
    rejections.append(dropped)
    repeated = survivors["repetition_reason"].notna().to_numpy()
    rejections.append(survivors[repeated].assign(reason=survivors.loc[repeated, "repetition_reason"],
                                                 detail=survivors.loc[repeated, "repetition_detail"]))
    survivors = survivors[~repeated]
    lap("exact")

    near = None
    if near_settings.enabled:
        near = near_duplicates(survivors, batch.signatures, texts, near_settings, source_rank, earlier,
                               batch.band_keys, index_factory)
        rejections.append(near.rejected)
        survivors = near.kept
        lap("near")

    conflict_history = None
    if earlier is not None:
        conflict_history = earlier.conflict_candidates(survivors["prompt_key"].unique(),
                                                       survivors["response_key"].unique())
    conflicts, dropped = conflict_groups(survivors, settings.conflicts, near_settings.keep, source_rank, texts,
                                         conflict_history)
    rejections.append(dropped)
    lap("conflicts")
    kept = survivors[~survivors.index.isin(dropped.index)].sort_values("record_id", kind="mergesort")
    clusters = near.clusters if near is not None else pd.DataFrame({column: [] for column in CLUSTER_COLUMNS})
    return DedupDecision(
        kept=kept,
        rejected=_all_rejections(rejections),
        signatures=batch.signatures,
        clusters=clusters,
        conflicts=conflicts if len(conflicts) else pd.DataFrame({c: [] for c in CONFLICT_COLUMNS}),
        refreshed=refreshed,
        scheme=current,
        near=near,
    )


def _all_rejections(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [part.loc[:, [*BATCH_COLUMNS, "reason", "detail"]] for part in parts if len(part)]
    if not parts:
        return pd.DataFrame({column: pd.Series([], dtype=object) for column in [*BATCH_COLUMNS, "reason", "detail"]})
    return pd.concat(parts).sort_values("record_id", kind="mergesort")
