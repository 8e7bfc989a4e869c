"""Near-duplicate detection: quality against planted ground truth, throughput, memory, scaling.

    python benchmarks/near_dup.py                       # 100k documents, with the datasketch baselines
    python benchmarks/near_dup.py --docs 10000          # another size
    python benchmarks/near_dup.py --scaling 10000,100000,1000000   # one fresh process per size

The corpus (planted_corpus.py) is generated first and not timed. Timed, end to end: raw texts →
shingles → MinHash signatures (datasketch affine32, on every core) → LSH banding → exact
verification → connected components, with the default settings of ``dedup.near_duplicates``.
In the same run, on a sample, the same work done with datasketch the straightforward way:

- naive: one ``MinHash.update`` per shingle (SHA-1), then ``MinHashLSH.insert`` and ``query``;
- datasketch fast paths: ``MinHash.bulk`` (``update_batch``) with a fast hash (crc32),
  ``LeanMinHash``, ``MinHashLSH.insertion_session`` and ``query``, one process.

Quality: pair precision = share of the pairs we call near-duplicates whose exact Jaccard (on
token 5-gram sets, computed from the tokens, not from hashes) reaches the threshold; recall =
share of the planted pairs with exact Jaccard >= threshold + 0.05 that end up in one cluster.
Peak memory: the largest resident set of this process while dedup runs (sampled from /proc every
20 ms by a helper process), beside what the corpus alone took before, and of the largest worker
(ru_maxrss). CPU-seconds (this process and its workers) are printed too: other work on the machine
slows the wall clock, hardly the CPU time.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from planted_corpus import generate, jaccard, shingle_set  # noqa: E402

from curation_assets.core.dedup.settings import NearDuplicatesConfig  # noqa: E402
from curation_assets.core.dedup.near_dup import cluster_texts  # noqa: E402
from curation_assets.core.text.tokens import words  # noqa: E402
from curation_assets.core.dedup.signing import worker_count  # noqa: E402


def _peak_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


_SAMPLER = """
import select, sys
pid, peak = sys.argv[1], 0
while not select.select([sys.stdin], [], [], 0.02)[0]:
    with open(f"/proc/{pid}/status") as status:
        peak = max([peak] + [int(line.split()[1]) for line in status if line.startswith("VmRSS:")])
print(peak)
"""


class _RssSampler:
    """The largest resident set of this process while dedup runs (ru_maxrss would include generation).

    A separate process samples /proc, not a thread: a second thread would make signing spawn its
    workers instead of forking them (signing.py), which is not what a single-threaded caller gets.
    """

    def __init__(self) -> None:
        self._process = subprocess.Popen([sys.executable, "-c", _SAMPLER, str(os.getpid())],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def stop(self) -> float:
        output, _ = self._process.communicate("stop\n")
        return max(int(output.strip()) / 1024, _rss_mib())


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _word_shingles(text: str, size: int) -> list[bytes]:
    units = words(text)
    if len(units) < size:
        return [" ".join(units).encode()] if units else []
    return [" ".join(units[i : i + size]).encode() for i in range(len(units) - size + 1)]


def _datasketch_clusters(texts: list[str], settings: NearDuplicatesConfig, fast: bool) -> float:
    """Seconds to go from texts to LSH candidates with datasketch's own objects."""
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    started = time.perf_counter()
    shingled = [_word_shingles(text, settings.shingle_size) for text in texts]
    if fast:
        def crc(data: bytes) -> int:
            return zlib.crc32(data)

        minhashes = [LeanMinHash(m) for m in MinHash.bulk(shingled, num_perm=settings.num_perm, seed=settings.seed,
                                                            hashfunc=crc)]
    else:
        minhashes = []
        for shingles in shingled:
            minhash = MinHash(num_perm=settings.num_perm, seed=settings.seed)
            for shingle in shingles:
                minhash.update(shingle)
            minhashes.append(minhash)
    lsh = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm)
    with lsh.insertion_session() as session:
        for key, minhash in enumerate(minhashes):
            session.insert(key, minhash, check_duplication=False)
    for minhash in minhashes:
        lsh.query(minhash)
    return time.perf_counter() - started


def _quality(corpus, labels: np.ndarray, edges, threshold: float) -> dict:
    # Shingle sets are built family by family and dropped, so that a million documents fit in memory.
    truth: dict[tuple[int, int], float] = {}
    for family in corpus.families:
        sets = {document: shingle_set(corpus.texts[document]) for document in family}
        for i, left in enumerate(family):
            for right in family[i + 1 :]:
                truth[(min(left, right), max(left, right))] = jaccard(sets[left], sets[right])

    relevant = [pair for pair, value in truth.items() if value >= threshold + 0.05]
    recall = np.mean([labels[a] == labels[b] for a, b in relevant]) if relevant else 1.0
    edge_truth = [truth.get((a, b)) for a, b in edges.pairs.tolist()]
    edge_truth = [jaccard(shingle_set(corpus.texts[a]), shingle_set(corpus.texts[b])) if value is None else value
                  for value, (a, b) in zip(edge_truth, edges.pairs.tolist())]
    precision = np.mean(np.array(edge_truth) >= threshold) if edge_truth else 1.0
    edge_recall = len({(int(a), int(b)) for a, b in edges.pairs} & set(
        pair for pair, value in truth.items() if value >= threshold)) / max(1, sum(v >= threshold for v in truth.values()))
    # Planted pairs below the threshold that share a cluster: the ends of chains (A~B~C puts A and C
    # together, by design), and any other (which would be a fault).
    chain_ends = {(min(f[0], f[2]), max(f[0], f[2])) for f in corpus.families if len(f) == 3}
    below = [pair for pair, value in truth.items() if value < threshold]
    merged_chain_ends = np.mean([labels[a] == labels[b] for a, b in below if (a, b) in chain_ends] or [0.0])
    merged_other = np.mean([labels[a] == labels[b] for a, b in below if (a, b) not in chain_ends] or [0.0])
    computed = ~np.isnan(edges.jaccard)
    hashed_vs_exact = np.abs(edges.jaccard[computed] - np.array(edge_truth)[computed]).max() if computed.any() else 0.0
    return {
        "precision": float(precision), "recall": float(recall), "relevant_pairs": len(relevant),
        "verified_pairs": len(edge_truth), "edge_recall_at_threshold": edge_recall,
        "chain_ends_clustered": float(merged_chain_ends), "other_pairs_below_threshold_clustered": float(merged_other),
        "max_abs_error_hashed_vs_token_jaccard": float(hashed_vs_exact),
    }


def run(documents: int, seed: int, baseline_sample: int) -> dict:
    settings = NearDuplicatesConfig()
    started = time.perf_counter()
    corpus = generate(documents, seed=seed)
    generated = time.perf_counter() - started
    megabytes = sum(len(text.encode("utf-8")) for text in corpus.texts) / 1e6
    gc.collect()
    before_mib = _rss_mib()

    timings: dict = {}
    sampler = _RssSampler()
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    labels, edges = cluster_texts(corpus.texts, settings, timings)
    elapsed = time.perf_counter() - started
    own_mib = sampler.stop()
    cpu = _cpu_seconds() - cpu_before
    _, worker_mib = _peak_mib()

    clusters = np.bincount(labels)
    result = {
        "documents": documents, "megabytes": megabytes, "generate_s": generated, "seconds": elapsed,
        "docs_per_s": documents / elapsed, "mb_per_s": megabytes / elapsed, "timings": timings, "cpu_s": cpu,
        "load_average": os.getloadavg()[0],
        "workers": worker_count(settings.workers), "clusters": int((clusters > 1).sum()),
        "largest_cluster": int(clusters.max()), "removed": int((clusters[clusters > 1] - 1).sum()),
        "peak_rss_mib": own_mib, "rss_before_mib": before_mib, "worker_peak_rss_mib": worker_mib,
    }
    quality_started = time.perf_counter()
    result.update(_quality(corpus, labels, edges, settings.threshold))
    result["quality_s"] = time.perf_counter() - quality_started
    if baseline_sample:
        sample = corpus.texts[: min(baseline_sample, documents)]
        naive = sample[: max(1, len(sample) // 10)]
        result["naive_docs_per_s"] = len(naive) / _datasketch_clusters(naive, settings, fast=False)
        result["naive_sample"] = len(naive)
        result["fast_docs_per_s"] = len(sample) / _datasketch_clusters(sample, settings, fast=True)
        result["fast_sample"] = len(sample)
    return result


def report(result: dict, settings: NearDuplicatesConfig) -> None:
    t = result["timings"]
    print(f"documents:        {result['documents']:,} ({result['megabytes']:.0f} MB of text, "
          f"{result['megabytes'] * 1e6 / result['documents']:.0f} B/doc; generated in {result['generate_s']:.0f} s, untimed)")
    print(f"settings:         {settings.shingle_kind} {settings.shingle_size}-shingles, num_perm {settings.num_perm}, "
          f"threshold {settings.threshold}, boilerplate guard {settings.boilerplate_share}, {result['workers']} workers")
    print(f"throughput:       {result['docs_per_s']:,.0f} docs/s, {result['mb_per_s']:.1f} MB/s "
          f"(raw text -> clusters, {result['seconds']:.2f} s)")
    print(f"  CPU:            {result['cpu_s']:.2f} CPU-s ({result['documents'] / result['cpu_s']:,.0f} docs per CPU-second); "
          f"1-minute load average {result['load_average']:.1f} on {os.cpu_count()} cores (other work on the machine "
          f"slows the wall clock, not the CPU-seconds)")
    print(f"  stages:         shingle+sign {t['shingle+sign']:.2f} s (incl. worker start-up), lsh {t['lsh']:.2f} s, "
          f"verify {t['verify']:.2f} s ({t['candidate_pairs']:,} candidates), components {t['components']:.2f} s")
    if "naive_docs_per_s" in result:
        print(f"baseline naive:   {result['naive_docs_per_s']:,.0f} docs/s (datasketch MinHash.update per shingle + "
              f"MinHashLSH insert/query, 1 process, {result['naive_sample']:,}-doc sample)")
        print(f"baseline fast:    {result['fast_docs_per_s']:,.0f} docs/s (datasketch MinHash.bulk/update_batch, crc32, "
              f"LeanMinHash, insertion_session, query, 1 process, {result['fast_sample']:,}-doc sample)")
        print(f"speed-up:         {result['docs_per_s'] / result['naive_docs_per_s']:.0f}x naive, "
              f"{result['docs_per_s'] / result['fast_docs_per_s']:.1f}x datasketch fast paths")
    print(f"quality:          pair precision {result['precision']:.4f} ({result['verified_pairs']:,} pairs called "
          f"near-duplicates), recall {result['recall']:.4f} ({result['relevant_pairs']:,} planted pairs with "
          f"Jaccard >= {settings.threshold + 0.05:.2f})")
    print(f"  also:           planted pairs >= threshold found as pairs: {result['edge_recall_at_threshold']:.4f}; "
          f"below the threshold but in one cluster: chain ends {result['chain_ends_clustered']:.4f}, "
          f"other pairs {result['other_pairs_below_threshold_clustered']:.4f}; "
          f"max |hashed - token Jaccard| {result['max_abs_error_hashed_vs_token_jaccard']:.4f}")
    print(f"clusters:         {result['clusters']:,} clusters, {result['removed']:,} documents would be removed, "
          f"largest {result['largest_cluster']}")
    print(f"peak RSS:         {result['peak_rss_mib']:,.0f} MiB this process during dedup (of which the corpus, "
          f"before dedup: {result['rss_before_mib']:,.0f} MiB), {result['worker_peak_rss_mib']:,.0f} MiB largest worker "
          f"(forked: counts pages shared with this process)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline-sample", type=int, default=5000,
                        help="documents for the datasketch fast-path baseline (a tenth of them for naive); 0 = skip")
    parser.add_argument("--scaling", help="comma-separated sizes, each run in a fresh process")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    arguments = parser.parse_args()
    if arguments.scaling:
        sizes = [int(size) for size in arguments.scaling.split(",")]
        print(f"{'documents':>10} {'seconds':>8} {'docs/s':>8} {'MB/s':>6} {'CPU-s':>7} {'sign s':>7} {'lsh s':>6} "
              f"{'verify s':>8} {'corpus MiB':>10} {'peak MiB':>9} {'worker MiB':>10} {'precision':>9} {'recall':>7}")
        for size in sizes:
            output = subprocess.run(
                [sys.executable, __file__, "--docs", str(size), "--seed", str(arguments.seed), "--baseline-sample", "0",
                 "--json"], capture_output=True, text=True, check=True).stdout
            r = json.loads(output.strip().splitlines()[-1])
            t = r["timings"]
            print(f"{size:>10,} {r['seconds']:>8.2f} {r['docs_per_s']:>8,.0f} {r['mb_per_s']:>6.1f} {r['cpu_s']:>7.1f} "
                  f"{t['shingle+sign']:>7.2f} {t['lsh']:>6.2f} {t['verify']:>8.2f} {r['rss_before_mib']:>10,.0f} "
                  f"{r['peak_rss_mib']:>9,.0f} {r['worker_peak_rss_mib']:>10,.0f} {r['precision']:>9.4f} {r['recall']:>7.4f}",
                  flush=True)
        return 0
    result = run(arguments.docs, arguments.seed, arguments.baseline_sample)
    if arguments.json:
        print(json.dumps(result))
    else:
        report(result, NearDuplicatesConfig())
    return 0


if __name__ == "__main__":
    sys.exit(main())
