"""Near-duplicate records: MinHash + LSH candidates, exact verification, transitive clusters.

Each record's configured fields, joined, are shingled and signed (signing.py); LSH banding over
the batch's signatures and those of everything published earlier proposes pairs; a pair is a
near-duplicate when its exact Jaccard reaches the threshold, overall and without boilerplate
(similarity.py, boilerplate.py). Connected components of those pairs are the clusters. In each
cluster one record is kept: a record published by an earlier run if there is one (it is already
out there), else the first by the keep policy (keep_policy.py). Every other batch member is
rejected with reason ``near_duplicate``, naming its cluster and the record kept.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np
import pandas as pd

from curation_assets.core.dedup.settings import NearDuplicatesConfig
from curation_assets.core.dedup.batch import RANK_COLUMNS, joined_texts
from curation_assets.core.dedup.boilerplate import Boilerplate
from curation_assets.core.dedup.earlier import UNIVERSE_COLUMNS, EarlierRecords
from curation_assets.core.dedup.history import decode_signatures
from curation_assets.core.dedup.keep import preference, repairs_of
from curation_assets.core.dedup.lsh import band_keys, banding, candidate_pairs
from curation_assets.core.dedup.minhash import EMPTY, estimated_jaccard
from curation_assets.core.memory import return_free_memory
from curation_assets.core.records import as_records, as_rejections
from curation_assets.core.located import LOCATION_COLUMNS, FrameTexts, TextSource
from curation_assets.core.text.shingles import Shingles, shingle_hashes
from curation_assets.core.dedup.signing import ShingleSpec, sign_texts, worker_count
from curation_assets.core.dedup.similarity import SCREEN_MARGIN, Edges, ShingleSets, components, pair_estimates, verify
from curation_assets.core.stage_result import StageResult

STAGE = "dedup"
REASON = "near_duplicate"
CLUSTER_COLUMNS = ("cluster_id", "representative_id", "size", "member_ids", "jaccard", "estimated_jaccard")
# The pairs' texts are kept for the reports only (a cell shows 160 characters): whole texts of every
# candidate would be the largest thing a million-record decision holds.
TEXT_PREVIEW_CHARS = 200


@dataclass
class NearDuplicates:
    kept: pd.DataFrame  # the batch rows kept (batch.py), their index kept
    rejected: pd.DataFrame  # the batch rows rejected, with ``reason`` and ``detail``
    clusters: pd.DataFrame  # the duplicate_clusters table
    pairs: pd.DataFrame  # verified pairs, for side-by-side examples
    near_misses: pd.DataFrame  # pairs just below the threshold
    residual: pd.DataFrame  # near-duplicate pairs still among the kept records (the check wants none)
    stats: dict
    result: StageResult | None = None  # the records kept and rejected, when the batch was given as records


def spec_of(settings: NearDuplicatesConfig) -> ShingleSpec:
    return ShingleSpec(settings.shingle_kind, settings.shingle_size, settings.num_perm, settings.seed)


class UniverseSignatures:
    """The universe's signatures (the batch rows', then the earlier records') without copying the
    batch's: at a million records each copy would be half a gigabyte."""

    def __init__(self, batch: np.ndarray, positions: np.ndarray, earlier: np.ndarray) -> None:
        self._batch, self._positions, self._earlier = batch, positions, earlier

    def __len__(self) -> int:
        return len(self._positions) + len(self._earlier)

    def prefetch(self, index: np.ndarray) -> None:
        """Read now the batch signatures of universe documents ``index`` that live on disk."""
        own = index[index < len(self._positions)]
        if hasattr(self._batch, "prefetch") and len(own):
            self._batch.prefetch(np.unique(self._positions[own]))

    def __getitem__(self, index: np.ndarray) -> np.ndarray:
        index = np.asarray(index)
        own = index < len(self._positions)
        found = np.empty((len(index), self._batch.shape[1]), dtype=np.uint32)
        found[own] = self._batch[self._positions[index[own]]]
        found[~own] = self._earlier[index[~own] - len(self._positions)]
        return found


class UniverseShingles:
    """Shingles and texts of universe documents (the batch's first, then earlier records'), read back
    by location or from the history rows the first time a document is asked for, then kept: only
    documents in candidate pairs and the boilerplate sample are ever read."""

    def __init__(self, records: pd.DataFrame, history: pd.DataFrame, texts: TextSource,
                 settings: NearDuplicatesConfig) -> None:
        self._locations = records.loc[:, LOCATION_COLUMNS].reset_index(drop=True)
        self._history, self._texts, self._settings = history, texts, settings
        self._known = np.zeros(0, dtype=np.int64)
        self._shingles = Shingles(np.zeros(0, np.uint32), np.zeros(1, np.int64))
        self._text = np.zeros(0, dtype=object)
        self._lock = threading.Lock()  # verify() asks from several threads

    def _ensure(self, documents: np.ndarray) -> None:
        with self._lock:
            missing = np.setdiff1d(documents, self._known)
            if len(missing) == 0:
                return
            batch_size = len(self._locations)
            own, earlier = missing[missing < batch_size], missing[missing >= batch_size] - batch_size
            fields = self._settings.fields
            # A conversation's earlier turns and a pair's rejected answer are part of its text (joined_texts).
            read = [*fields, "earlier_turns", "rejected_response"]
            texts = joined_texts(self._texts.columns(self._locations.iloc[own], read), fields) if len(own) else []
            texts += joined_texts(self._history.iloc[earlier], fields) if len(earlier) else []
            shingles = shingle_hashes(texts, self._settings.shingle_kind, self._settings.shingle_size)
            return_free_memory()  # the shards' buffers and the whole texts, read for these shingles
            known = np.concatenate((self._known, missing))
            order = np.argsort(known, kind="stable")
            self._shingles = Shingles.concatenate([self._shingles, shingles]).take(order)
            previews = [text[:TEXT_PREVIEW_CHARS] for text in texts]
            self._text = np.concatenate((self._text, np.array(previews + [None], dtype=object)[:-1]))[order]
            self._known = known[order]

    def read(self, documents: np.ndarray) -> None:
        """Read ``documents`` (sorted, distinct) now: the reads later passes would make one by one."""
        self._ensure(documents)

    def shingles_of(self, documents: np.ndarray) -> Shingles:
        self._ensure(documents)
        return self._shingles.take(np.searchsorted(self._known, documents))

    def texts_of(self, documents: np.ndarray) -> np.ndarray:
        """The documents' texts as the reports show them: their first ``TEXT_PREVIEW_CHARS`` characters."""
        if len(documents) == 0:
            return np.zeros(0, dtype=object)
        self._ensure(np.unique(documents))
        return self._text[np.searchsorted(self._known, documents)]


class CandidateIndex(Protocol):
    """Who LSH pairs with whom: over the batch (the records decided, by position) and the earlier
    records sharing a band key with them (``earlier``: ``UNIVERSE_COLUMNS`` and ``signature``, in
    history order), which follow the batch in the universe."""

    earlier: pd.DataFrame
    compared: int  # earlier records LSH was run against

    def pairs(self, members: np.ndarray | None = None) -> np.ndarray:
        """Unique universe pairs (i, j), i < j, i a batch document, of documents sharing a band key:
        among the batch documents ``members`` (sorted positions; all when None) and every earlier one."""


# Makes the index of the batch rows decided: (rows, earlier records or None, (bands, rows per band)).
IndexFactory = Callable[[pd.DataFrame, "EarlierRecords | None", tuple[int, int]], CandidateIndex]


class LocalIndex:
    """A ``CandidateIndex`` over band keys held in this process (``candidate_pairs``)."""

    def __init__(self, records: pd.DataFrame, batch_keys: np.ndarray, history: pd.DataFrame | EarlierRecords | None,
                 bands: tuple[int, int], settings: NearDuplicatesConfig) -> None:
        has_shingles = records["has_shingles"].to_numpy(dtype=bool)
        self.earlier, self.compared = _earlier_rows(records, history, settings, batch_keys[has_shingles], bands)
        signatures = decode_signatures(self.earlier["signature"].tolist(), settings.num_perm)
        self._batch_size = len(records)
        self._keys = np.concatenate((batch_keys, band_keys(signatures, *bands)))
        self._eligible = np.concatenate((has_shingles, (signatures != EMPTY).any(axis=1)))

    def pairs(self, members: np.ndarray | None = None) -> np.ndarray:
        if members is None:
            pairs = candidate_pairs(self._keys, self._eligible)
        else:
            survivors = np.concatenate((members, np.arange(self._batch_size, len(self._keys))))
            pairs = survivors[candidate_pairs(self._keys[survivors], self._eligible[survivors])]
        return pairs[pairs[:, 0] < self._batch_size]  # two earlier records: nothing to decide


def _earlier_rows(records: pd.DataFrame, history: pd.DataFrame | EarlierRecords | None, settings: NearDuplicatesConfig,
                  batch_keys: np.ndarray, bands: tuple[int, int]) -> tuple[pd.DataFrame, int]:
    """The earlier records LSH may pair with the batch (universe columns and signature), and how many
    earlier records there are in all."""
    if not settings.incremental or history is None:
        return pd.DataFrame({column: [] for column in UNIVERSE_COLUMNS + ["scheme", "signature"]}), 0
    if isinstance(history, EarlierRecords):
        return history.sharing_a_band(batch_keys, *bands, settings.num_perm), history.compared
    history = history[~history["record_id"].isin(records["record_id"])].reset_index(drop=True)
    return history, len(history)


def _pair_frame(edges: Edges, universe: pd.DataFrame, shingles: UniverseShingles) -> pd.DataFrame:
    left, right = universe.iloc[edges.pairs[:, 0]], universe.iloc[edges.pairs[:, 1]]
    return pd.DataFrame({
        "left_id": left["record_id"].to_numpy(), "right_id": right["record_id"].to_numpy(),
        "jaccard": edges.jaccard, "content_jaccard": edges.content_jaccard, "estimated_jaccard": edges.estimate,
        "left_text": shingles.texts_of(edges.pairs[:, 0]), "right_text": shingles.texts_of(edges.pairs[:, 1]),
    })


def _residual_pairs(kept_mask: np.ndarray, index: CandidateIndex, all_signatures: UniverseSignatures,
                    sets: ShingleSets, universe: pd.DataFrame, settings: NearDuplicatesConfig,
                    shingles: UniverseShingles) -> pd.DataFrame:
    """An independent LSH pass over what is kept: near-duplicate pairs left with a batch record in them."""
    edges, _ = verify(index.pairs(np.flatnonzero(kept_mask)), all_signatures, sets, settings.threshold)
    return _pair_frame(edges, universe, shingles)


def _clusters(groups: list[list[int]], universe: pd.DataFrame, records: pd.DataFrame, sets: ShingleSets,
              all_signatures: UniverseSignatures) -> tuple[list[dict], pd.DataFrame]:
    """The duplicate_clusters rows, and the rejected batch members (groups list the representative first)."""
    member_pairs = np.array([[members[0], member] for members in groups for member in members], dtype=np.int64)
    member_pairs = member_pairs.reshape(-1, 2)
    similarity, _ = sets.jaccard(member_pairs)
    estimates = estimated_jaccard(all_signatures[member_pairs[:, 0]], all_signatures[member_pairs[:, 1]])
    fixed = universe["fixed"].to_numpy()
    ids = universe["record_id"].to_numpy()
    rows, rejected, details = [], [], []
    at = 0
    for members in groups:
        full, estimate = similarity[at : at + len(members)], estimates[at : at + len(members)]
        at += len(members)
        representative = ids[members[0]]
        rows.append({
            "cluster_id": representative, "representative_id": representative, "size": len(members),
            "member_ids": ids[members].tolist(),
            "jaccard": np.round(full, 4).tolist(), "estimated_jaccard": np.round(estimate, 4).tolist(),
        })
        for place, member in enumerate(members[1:], start=1):
            if not fixed[member]:  # universe rows of the batch come first, in the batch's order
                rejected.append(member)
                details.append(f"near-duplicate of {representative} in cluster {representative} "
                               f"(Jaccard {full[place]:.2f} to it, MinHash estimate {estimate[place]:.2f})")
    return rows, records.iloc[rejected].assign(reason=REASON, detail=details)


def _universe(records: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """The batch's rows, then the earlier records', with what the keep policy ranks them by."""
    batch = records.loc[:, RANK_COLUMNS].assign(fixed=False)
    earlier = history.loc[:, ["record_id", "source", "source_position", "kind"]].assign(
        response_chars=history["response"].fillna("").astype(str).str.len().astype("int64"), repairs=0, fixed=True)
    return pd.concat([part for part in (batch, earlier) if len(part)] or [batch], ignore_index=True)


def find_near_duplicates(
    records: pd.DataFrame,
    settings: NearDuplicatesConfig,
    source_rank: Callable[[str], int],
    history: pd.DataFrame | EarlierRecords | None = None,
) -> NearDuplicates:
    """Near-duplicate clusters of ``records`` (whole records, held in memory), also against ``history``
    (published earlier, never rejected): history rows, or the earlier records to read as far as LSH
    needs them."""
    records = records.reset_index(drop=True)
    shingles, signatures = sign_texts(joined_texts(records, settings.fields), spec_of(settings),
                                      worker_count(settings.workers))
    rows = records.assign(response_chars=records["response"].fillna("").astype(str).str.len().astype("int64"),
                          repairs=repairs_of(records["lineage"].tolist()) if "lineage" in records else 0,
                          has_shingles=shingles.counts > 0, shard=0, shard_row=np.arange(len(records)))
    found = near_duplicates(rows, signatures, FrameTexts(records), settings, source_rank, history)
    found.result = StageResult(as_records(records.loc[found.kept.index]), as_rejections(
        records.loc[found.rejected.index].assign(reason=found.rejected["reason"], detail=found.rejected["detail"]), STAGE))
    return found


def near_duplicates(
    records: pd.DataFrame,
    signatures: np.ndarray,
    texts: TextSource,
    settings: NearDuplicatesConfig,
    source_rank: Callable[[str], int],
    history: pd.DataFrame | EarlierRecords | None = None,
    keys: np.ndarray | None = None,
    index_factory: IndexFactory | None = None,
) -> NearDuplicates:
    """Near-duplicate clusters of the batch rows ``records`` (batch.py; ``signatures`` and their LSH
    band ``keys``, the whole batch's, the rows' at their index), their texts and signatures read only
    for the documents a decision looks at. LSH runs on the keys in this process (computed here if not
    given), or wherever ``index_factory``'s index runs it."""
    bands = banding(settings.threshold, settings.num_perm, settings.lsh_weights)
    positions = records.index.to_numpy()
    if index_factory is None:
        batch_keys = (band_keys(signatures, *bands) if keys is None else keys)[positions]
        index = LocalIndex(records, batch_keys, history, bands, settings)
    else:
        index = index_factory(records, history if settings.incremental else None, bands)
    history, compared = index.earlier, index.compared
    history_signatures = decode_signatures(history["signature"].tolist(), settings.num_perm)

    batch_size, history_size = len(records), len(history)
    all_signatures = UniverseSignatures(signatures, positions, history_signatures)
    pairs = index.pairs()

    shingles = UniverseShingles(records, history, texts, settings)
    boilerplate = None
    # Every text this pass reads, read in one go: a read touches every shard the documents are in.
    counted = Boilerplate.sampled(batch_size) if settings.boilerplate_share is not None else np.zeros(0, np.int64)
    # Pairs whose MinHash estimate rules them out are dropped here, unread (verify() would drop them too).
    all_signatures.prefetch(np.unique(pairs))
    likely = pairs[pair_estimates(all_signatures, pairs) >= settings.threshold - SCREEN_MARGIN] if len(pairs) else pairs
    shingles.read(np.union1d(np.unique(likely), counted).astype(np.int64))
    if settings.boilerplate_share is not None and batch_size:
        boilerplate = Boilerplate.of_documents(batch_size, shingles.shingles_of, settings.boilerplate_share,
                                               settings.boilerplate_min_documents)
    sets = ShingleSets(shingles.shingles_of, boilerplate)
    edges, near_misses = verify(likely, all_signatures, sets, settings.threshold)

    universe = _universe(records, history)
    labels = components(batch_size + history_size, edges.pairs)
    clustered = np.zeros(batch_size + history_size, dtype=bool)
    clustered[edges.pairs.ravel()] = True

    places = preference(universe, settings.keep, source_rank)
    # Earlier-published records first (they stay published), then the keep policy.
    order = np.lexsort((places, ~universe["fixed"].to_numpy(), labels))
    order = order[clustered[order]]
    members_by_label = pd.Series(order).groupby(labels[order], sort=False).apply(list)

    rows, rejected_rows = _clusters(list(members_by_label), universe, records, sets, all_signatures)
    kept_mask = ~records["record_id"].isin(rejected_rows["record_id"]).to_numpy()
    clusters = pd.DataFrame(rows, columns=list(CLUSTER_COLUMNS)).sort_values("cluster_id", kind="mergesort")
    stats = {
        "candidate_pairs": int(len(pairs)),
        "verified_pairs": int(len(edges.pairs)),
        "clusters": int(len(clusters)),
        "largest_cluster": int(clusters["size"].max()) if len(clusters) else 0,
        "history_records_compared": int(compared),
        "history_records_sharing_a_band": int(history_size),
        "boilerplate_min_count": boilerplate.min_count if boilerplate is not None else None,
        "boilerplate_shingles": len(boilerplate.hashes) if boilerplate is not None else 0,
    }
    return NearDuplicates(
        kept=records[kept_mask],
        rejected=rejected_rows,
        clusters=clusters.reset_index(drop=True),
        pairs=_pair_frame(edges, universe, shingles),
        near_misses=_pair_frame(near_misses, universe, shingles),
        residual=_residual_pairs(kept_mask, index, all_signatures, sets, universe, settings, shingles),
        stats=stats,
    )


def cluster_texts(texts: list[str], settings: NearDuplicatesConfig, timings: dict | None = None) -> tuple[np.ndarray, Edges]:
    """Raw texts → a cluster label per text and the verified pairs: the engine without records or history."""
    timings = {} if timings is None else timings
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + now - clock
        clock = now

    shingles, signatures = sign_texts(texts, spec_of(settings), worker_count(settings.workers))
    lap("shingle+sign")
    bands = banding(settings.threshold, settings.num_perm, settings.lsh_weights)
    pairs = candidate_pairs(band_keys(signatures, *bands), shingles.counts > 0)
    lap("lsh")
    boilerplate = None
    if settings.boilerplate_share is not None and len(texts):
        boilerplate = Boilerplate(shingles, settings.boilerplate_share, settings.boilerplate_min_documents)
    edges, _ = verify(pairs, signatures, ShingleSets.of(shingles, boilerplate), settings.threshold)
    lap("verify")
    labels = components(len(texts), edges.pairs)
    lap("components")
    timings["candidate_pairs"] = len(pairs)
    return labels, edges
