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

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from curation_assets.core.dedup.settings import NearDuplicatesConfig
from curation_assets.core.dedup.boilerplate import Boilerplate
from curation_assets.core.dedup.earlier import UNIVERSE_COLUMNS, EarlierRecords
from curation_assets.core.dedup.history import decode_signatures
from curation_assets.core.dedup.keep import preference
from curation_assets.core.dedup.lsh import band_keys, banding, candidate_pairs
from curation_assets.core.dedup.minhash import EMPTY, estimated_jaccard
from curation_assets.core.records import as_records, as_rejections
from curation_assets.core.text.shingles import Shingles
from curation_assets.core.dedup.signing import ShingleSpec, sign_texts, worker_count
from curation_assets.core.dedup.similarity import Edges, ShingleSets, components, verify
from curation_assets.core.stage_result import StageResult

STAGE = "dedup"
REASON = "near_duplicate"
CLUSTER_COLUMNS = ("cluster_id", "representative_id", "size", "member_ids", "jaccard", "estimated_jaccard")


@dataclass
class NearDuplicates:
    result: StageResult
    clusters: pd.DataFrame  # the duplicate_clusters table
    kept_signatures: np.ndarray  # aligned with result.kept
    pairs: pd.DataFrame  # verified pairs, for side-by-side examples
    near_misses: pd.DataFrame  # pairs just below the threshold
    residual: pd.DataFrame  # near-duplicate pairs still among the kept records (the check wants none)
    stats: dict


def spec_of(settings: NearDuplicatesConfig) -> ShingleSpec:
    return ShingleSpec(settings.shingle_kind, settings.shingle_size, settings.num_perm, settings.seed)


def record_texts(frame: pd.DataFrame, fields) -> list[str]:
    columns = [frame[field].fillna("").astype(str).tolist() for field in fields]
    return ["\n".join(parts) for parts in zip(*columns)]


def _shingle_source(batch: Shingles, history: pd.DataFrame, settings: NearDuplicatesConfig):
    """Shingles of universe documents: the batch's as computed, earlier records' from their text when asked."""
    batch_size = len(batch.counts)
    spec = spec_of(settings)

    def shingles_of(documents: np.ndarray) -> Shingles:
        own, earlier = documents[documents < batch_size], documents[documents >= batch_size] - batch_size
        parts = [batch.take(own)]
        if len(earlier):
            parts.append(sign_texts(record_texts(history.iloc[earlier], settings.fields), spec)[0])
        return Shingles.concatenate(parts)

    return shingles_of


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


def _pair_frame(edges: Edges, universe: pd.DataFrame) -> pd.DataFrame:
    left, right = universe.iloc[edges.pairs[:, 0]], universe.iloc[edges.pairs[:, 1]]
    return pd.DataFrame({
        "left_id": left["record_id"].to_numpy(), "right_id": right["record_id"].to_numpy(),
        "jaccard": edges.jaccard, "content_jaccard": edges.content_jaccard, "estimated_jaccard": edges.estimate,
        "left_text": left["text"].to_numpy(), "right_text": right["text"].to_numpy(),
    })


def _residual_pairs(kept_mask: np.ndarray, history_size: int, all_signatures: np.ndarray, all_keys: np.ndarray,
                    eligible: np.ndarray, sets: ShingleSets, universe: pd.DataFrame,
                    settings: NearDuplicatesConfig) -> pd.DataFrame:
    """An independent LSH pass over what is kept: near-duplicate pairs left with a batch record in them."""
    batch_size = len(kept_mask)
    survivors = np.concatenate((np.flatnonzero(kept_mask), batch_size + np.arange(history_size)))
    pairs = survivors[candidate_pairs(all_keys[survivors], eligible[survivors])]
    pairs = pairs[pairs[:, 0] < batch_size]
    edges, _ = verify(pairs, all_signatures, sets, settings.threshold)
    return _pair_frame(edges, universe)


def _clusters(groups: list[list[int]], universe: pd.DataFrame, records: pd.DataFrame, sets: ShingleSets,
              all_signatures: np.ndarray) -> tuple[list[dict], pd.DataFrame]:
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


def find_near_duplicates(
    records: pd.DataFrame,
    settings: NearDuplicatesConfig,
    source_rank: Callable[[str], int],
    history: pd.DataFrame | EarlierRecords | None = None,
) -> NearDuplicates:
    """Near-duplicate clusters of ``records``, also against ``history`` (published earlier, never rejected):
    history rows, or the earlier records to read as far as LSH needs them."""
    spec = spec_of(settings)
    texts = record_texts(records, settings.fields)
    shingles, signatures = sign_texts(texts, spec, worker_count(settings.workers))
    bands = banding(settings.threshold, settings.num_perm, settings.lsh_weights)
    batch_keys = band_keys(signatures, *bands)
    history, compared = _earlier_rows(records, history, settings, batch_keys[shingles.counts > 0], bands)
    history_signatures = decode_signatures(history["signature"].tolist(), settings.num_perm)

    batch_size, history_size = len(records), len(history)
    all_signatures = np.concatenate((signatures, history_signatures))
    all_keys = np.concatenate((batch_keys, band_keys(history_signatures, *bands)))
    eligible = np.concatenate((shingles.counts > 0, (history_signatures != EMPTY).any(axis=1)))
    pairs = candidate_pairs(all_keys, eligible)
    pairs = pairs[pairs[:, 0] < batch_size]  # two earlier records: nothing to decide

    boilerplate = None
    if settings.boilerplate_share is not None and batch_size:
        boilerplate = Boilerplate(shingles, settings.boilerplate_share, settings.boilerplate_min_documents)
    sets = ShingleSets(_shingle_source(shingles, history, settings), boilerplate)
    edges, near_misses = verify(pairs, all_signatures, sets, settings.threshold)

    parts = [records.loc[:, UNIVERSE_COLUMNS].assign(fixed=False), history.loc[:, UNIVERSE_COLUMNS].assign(fixed=True)]
    universe = pd.concat([part for part in parts if len(part)] or parts[:1], ignore_index=True)
    universe["text"] = texts + record_texts(history, settings.fields)
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
        result=StageResult(as_records(records[kept_mask]), as_rejections(rejected_rows, STAGE)),
        clusters=clusters.reset_index(drop=True),
        kept_signatures=signatures[kept_mask],
        pairs=_pair_frame(edges, universe),
        near_misses=_pair_frame(near_misses, universe),
        residual=_residual_pairs(kept_mask, history_size, all_signatures, all_keys, eligible, sets, universe, settings),
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
