"""Semantic dedup: the clustered search (SemDeDup: compared within each record's nearest clusters) against
the naive exact search (every pair), on the same embeddings of ../shared/data's three datasets.

    python benchmarks/semantic_dedup.py                      # 15,921 records, threshold 0.9
    python benchmarks/semantic_dedup.py --threshold 0.95 --clusters 100 --probe 1

Printed: records/second of each search (embedding timed apart), the pairs at or above the threshold each
finds, the clustered search's recall of the naive one's duplicates (records the naive greedy pass drops
that the clustered one drops too), and peak memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from curation_assets.core.semantic.clusters import fit_clusters  # noqa: E402
from curation_assets.core.semantic.embed import fit_embedder, record_texts  # noqa: E402
from curation_assets.core.semantic.semantic_dups import nearest_clusters, semantic_duplicates  # noqa: E402
from domains import labelled_records  # noqa: E402


def naive(embeddings: np.ndarray, threshold: float) -> set[int]:
    """Greedy over every pair, best first (row order): a record is dropped when it is at least ``threshold``
    similar to an earlier kept one."""
    kept: list[int] = []
    dropped: set[int] = set()
    for start in range(0, len(embeddings), 2048):
        block = np.arange(start, min(start + 2048, len(embeddings)))
        against = embeddings[block] @ embeddings[kept].T if kept else np.zeros((len(block), 0))
        within = embeddings[block] @ embeddings[block].T
        newly: list[int] = []
        for offset, row in enumerate(block):
            similarities = np.concatenate([against[offset], within[offset, newly]])
            if len(similarities) and similarities.max() >= threshold:
                dropped.add(int(row))
            else:
                newly.append(offset)
        kept.extend(int(block[offset]) for offset in newly)
    return dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--probe", type=int, default=2)
    parser.add_argument("--dimensions", type=int, default=128)
    arguments = parser.parse_args()
    rows = labelled_records()
    texts = record_texts(*zip(*[row[1:] for row in rows]))
    started = time.perf_counter()
    embedder = fit_embedder(texts[::2], arguments.dimensions, 0)
    embeddings = embedder.embed(texts)
    embedded = time.perf_counter()

    clustered_started = time.perf_counter()
    clusters = fit_clusters([embeddings], arguments.clusters, 0)
    found = semantic_duplicates(embeddings, nearest_clusters(embeddings, clusters.centroids, arguments.probe),
                                np.arange(len(texts)), arguments.threshold)
    clustered_seconds = time.perf_counter() - clustered_started
    naive_started = time.perf_counter()
    baseline = naive(embeddings, arguments.threshold)
    naive_seconds = time.perf_counter() - naive_started

    clustered = set(found.dropped)
    recall = len(clustered & baseline) / len(baseline) if baseline else 1.0
    print(f"records: {len(texts):,}; embedder {embedder.fingerprint} ({embedded - started:.1f} s to fit and embed, "
          f"{len(texts) / (embedded - started):,.0f} records/s)")
    print(f"naive, every pair:                  {naive_seconds:6.1f} s  {len(texts) / naive_seconds:9,.0f} records/s  "
          f"dropped {len(baseline):,}")
    print(f"clustered ({clusters.count} clusters, probe {arguments.probe}): {clustered_seconds:6.1f} s  "
          f"{len(texts) / clustered_seconds:9,.0f} records/s  dropped {len(clustered):,}")
    print(f"recall of the naive search's drops: {recall:.3f}; dropped by the clustered search only: "
          f"{len(clustered - baseline):,}")
    print(f"threshold {arguments.threshold}; peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(json.dumps({"example_pair": [texts[row][:80] for row in list(clustered)[:1]]}, ensure_ascii=False)[:300])


if __name__ == "__main__":
    os.environ.setdefault("CURATION_SHARED_DATA", str(ROOT.parent / "shared" / "data"))
    main()
