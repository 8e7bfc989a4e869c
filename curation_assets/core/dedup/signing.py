"""Texts → shingles and MinHash signatures, in chunks, on every core when the batch is large.

Threads do not help here (measured: the Python parts hold the GIL long enough to serialize the
chunks), so large batches go to a pool of processes; small ones stay in-process. The pool forks
when this process runs a single Python thread (start-up in milliseconds) and spawns otherwise,
as in a Dagster step, where forking beside other threads risks inheriting a held lock (spawned
workers import numpy and datasketch first: one to three seconds, measured).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from curation_assets.core.dedup.minhash import signatures
from curation_assets.core.text.shingles import Shingles, ShingleKind, shingle_hashes

CHUNK_DOCUMENTS = 2000
PARALLEL_MIN_DOCUMENTS = 20000


@dataclass(frozen=True)
class ShingleSpec:
    kind: ShingleKind
    size: int
    num_perm: int
    seed: int


def _sign_chunk(texts: Sequence[str], spec: ShingleSpec) -> tuple[Shingles, np.ndarray]:
    shingles = shingle_hashes(texts, spec.kind, spec.size)
    return shingles, signatures(shingles, spec.num_perm, spec.seed)


# What forked workers read their chunks from: they inherit it, so the texts are never pickled.
_INHERITED_TEXTS: Sequence[str] = ()


def _sign_inherited(start: int, spec: ShingleSpec) -> tuple[Shingles, np.ndarray]:
    return _sign_chunk(_INHERITED_TEXTS[start : start + CHUNK_DOCUMENTS], spec)


def worker_count(configured: int) -> int:
    return configured if configured > 0 else (os.cpu_count() or 1)


def sign_texts(texts: Sequence[str], spec: ShingleSpec, workers: int = 1) -> tuple[Shingles, np.ndarray]:
    """Shingles and signatures of every text, in order (the same result for any ``workers``)."""
    global _INHERITED_TEXTS
    starts = range(0, len(texts), CHUNK_DOCUMENTS)
    if workers > 1 and len(texts) >= PARALLEL_MIN_DOCUMENTS:
        if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
            _INHERITED_TEXTS = texts
            try:
                with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
                    parts = list(pool.map(_sign_inherited, starts, [spec] * len(starts)))
            finally:
                _INHERITED_TEXTS = ()
        else:
            chunks = [texts[start : start + CHUNK_DOCUMENTS] for start in starts]
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                parts = list(pool.map(_sign_chunk, chunks, [spec] * len(chunks)))
    else:
        parts = [_sign_chunk(texts[start : start + CHUNK_DOCUMENTS], spec) for start in starts]
    return concatenate(parts, spec.num_perm)


def concatenate(parts: list[tuple[Shingles, np.ndarray]], num_perm: int) -> tuple[Shingles, np.ndarray]:
    shingles = Shingles.concatenate([part for part, _ in parts])
    if not parts:
        return shingles, np.zeros((0, num_perm), np.uint32)
    return shingles, np.concatenate([signature for _, signature in parts])
