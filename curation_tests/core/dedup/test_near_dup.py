"""Near-duplicates: datasketch-exact signatures, LSH candidates, clusters, the keep policy, templates."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from datasketch import MinHash, MinHashLSH

from support import REPO_ROOT
from curation_assets.core.dedup.settings import NearDuplicatesConfig
from curation_assets.core.dedup.lsh import band_keys, banding, candidate_pairs
from curation_assets.core.dedup.minhash import EMPTY, estimated_jaccard, lean_minhash, signatures
from curation_assets.core.dedup.near_dup import REASON, cluster_texts, find_near_duplicates
from curation_assets.core.text.shingles import shingle_hashes
from curation_assets.core.text.tokens import words

TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank today",
    "The quick brown fox jumps over the lazy dog near the river bank tonight",
    "Ça va? Très bien — merci beaucoup, mon ami, à demain matin au café.",
    "中文测试文本 and some English words mixed in here",
    "",
    "short",
    "two words",
    "!!! ???",
]


def _words(seed: int, count: int = 120) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["w" + str(value) for value in rng.integers(0, 50000, size=count)]


def _edit(words: list[str], positions: list[int], seed: int) -> list[str]:
    edited = list(words)
    for position in positions:
        edited[position] = f"edit{seed}x{position}"
    return edited


def _records(*texts: str, **columns) -> pd.DataFrame:
    rows = []
    for index, text in enumerate(texts):
        row = {"record_id": f"{index:020x}", "source": "alpha", "source_position": index, "instruction": text,
               "input": "", "response": "", "kind": "real", "lineage": "{}"}
        for column, values in columns.items():
            row[column] = values[index]
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("kind", ["word", "char"])
def test_shingles_are_the_token_ngrams_of_the_normalized_text(kind):
    shingles = shingle_hashes(TEXTS, kind, 3)
    for document, text in enumerate(TEXTS):
        units = words(text) if kind == "word" else list(" ".join(words(text)))
        expected = {tuple(units[i : i + 3]) for i in range(max(len(units) - 2, 1))} if units else set()
        assert len(set(shingles.of(document).tolist())) == len(expected), text


def test_more_texts_than_a_chunk_are_shingled_as_each_text_alone(monkeypatch):
    """Many texts are shingled a chunk at a time (bounded temporaries): the result is the same."""
    import curation_assets.core.text.shingles as shingles_module

    monkeypatch.setattr(shingles_module, "CHUNK_DOCUMENTS", 3)
    texts = [*TEXTS, "", "one", "Über café naïve 東京タワー", *TEXTS]
    together = shingle_hashes(texts, "word", 3)
    assert len(together.offsets) == len(texts) + 1
    for document, text in enumerate(texts):
        assert together.of(document).tolist() == shingle_hashes([text], "word", 3).hashes.tolist()


def test_a_text_and_its_case_and_spacing_variant_have_the_same_shingles():
    shingles = shingle_hashes(["Hello World, hello again my friend", "  HELLO\tworld hello   AGAIN my FRIEND!!"])
    assert set(shingles.of(0).tolist()) == set(shingles.of(1).tolist())


def test_signatures_equal_datasketch_update_batch_bit_for_bit():
    shingles = shingle_hashes(TEXTS + [" ".join(_words(1))], "word", 5)
    computed = signatures(shingles, num_perm=128, seed=7)
    for document in range(len(TEXTS) + 1):
        reference = MinHash(num_perm=128, seed=7, hashfunc=int)
        reference.update_batch(shingles.of(document).tolist())
        assert np.array_equal(reference.hashvalues, computed[document]), document
    assert (computed[TEXTS.index("")] == EMPTY).all()
    first, second = lean_minhash(computed[0], 7), lean_minhash(computed[1], 7)
    assert estimated_jaccard(computed[[0]], computed[[1]])[0] == first.jaccard(second)


def test_lsh_candidates_are_exactly_what_datasketch_minhashlsh_query_returns():
    base = _words(2)
    texts = [" ".join(base), " ".join(_edit(base, [10, 50], 1)), " ".join(_edit(base, [5, 30, 60, 90], 2)),
             " ".join(_words(3)), " ".join(_edit(_words(3), [40], 3)), " ".join(_words(4))]
    sigs = signatures(shingle_hashes(texts), 128, 1)
    bands, rows = banding(0.8, 128, (0.05, 0.95))
    ours = {tuple(pair) for pair in candidate_pairs(band_keys(sigs, bands, rows)).tolist()}
    lsh = MinHashLSH(num_perm=128, params=(bands, rows))
    for index, signature in enumerate(sigs):
        lsh.insert(index, lean_minhash(signature, 1))
    theirs = {(min(i, j), max(i, j)) for i, signature in enumerate(sigs)
              for j in lsh.query(lean_minhash(signature, 1)) if i != j}
    assert ours == theirs and (0, 1) in ours and (3, 4) in ours


def test_a_chain_is_one_cluster_even_though_its_ends_are_below_the_threshold():
    a = _words(5, 200)
    b = _edit(a, list(range(0, 200, 40)), 1)  # with 3-shingles: J(a, b) and J(b, c) about 0.86
    c = _edit(b, list(range(20, 200, 40)), 2)  # ...and J(a, c) about 0.74
    settings = NearDuplicatesConfig(shingle_size=3, threshold=0.8)
    texts = [" ".join(words) for words in (a, b, c, _words(6, 200))]
    found = find_near_duplicates(_records(*texts), settings, lambda source: 0)
    clusters = found.clusters
    assert len(clusters) == 1 and clusters["size"].iloc[0] == 3
    assert clusters["jaccard"].iloc[0][2] < 0.8  # the far end is in the cluster by transitivity
    assert set(found.result.kept["instruction"]) == {texts[0], texts[3]}
    assert (found.result.rejected["reason"] == REASON).all()
    assert all(f"near-duplicate of {'0' * 20}" in detail for detail in found.result.rejected["detail"])


def test_keep_policy_default_prefers_real_then_longest_response_then_earliest_position():
    text = " ".join(_words(8))
    frame = _records(text, text, text, text,
                     response=["short answer", "a much longer answer here", "a much longer answer here", "short answer"],
                     kind=["real", "synthetic", "real", "real"])
    found = find_near_duplicates(frame, NearDuplicatesConfig(threshold=0.5), lambda source: 0)
    # Real before synthetic, then the longer response: position 2 (over 0 and 3, and the synthetic 1).
    assert found.result.kept["source_position"].tolist() == [2]
    assert found.clusters["representative_id"].iloc[0] == frame["record_id"].iloc[2]
    assert found.clusters["size"].iloc[0] == 4


def test_keep_policy_is_configurable():
    text = " ".join(_words(9))
    frame = _records(text, text, text, response=["medium answer", "a very long answer indeed", "short"])
    found = find_near_duplicates(frame, NearDuplicatesConfig(keep=["shortest_response"]), lambda source: 0)
    assert found.result.kept["response"].tolist() == ["short"]


def test_documents_shorter_than_a_shingle_are_compared_whole():
    found = find_near_duplicates(_records("hello there", "Hello, there!", "hello world", ""),
                                 NearDuplicatesConfig(), lambda source: 0)
    assert found.result.rejected["instruction"].tolist() == ["Hello, there!"]
    assert "" in found.result.kept["instruction"].tolist()  # no tokens: never anyone's near-duplicate


def _toolformer(shared_data: Path) -> pd.DataFrame:
    rows = json.loads((shared_data / "gpteacher_toolformer.json").read_text(encoding="utf-8"))
    frame = pd.DataFrame({
        "record_id": [f"{index:020x}" for index in range(len(rows))], "source": "toolformer",
        "source_position": range(len(rows)), "instruction": [row["instruction"] for row in rows],
        "input": [row["input"] for row in rows], "response": [row["output"] for row in rows],
        "kind": "synthetic", "lineage": "{}",
    })
    return frame


def test_toolformer_preambles_do_not_collapse_records_whose_varying_part_differs(shared_data):
    records = _toolformer(shared_data)
    found = find_near_duplicates(records, NearDuplicatesConfig(), lambda source: 0)
    assert found.clusters["size"].max() <= 5
    assert len(found.result.rejected) < 150
    assert (found.pairs["content_jaccard"].dropna() >= 0.8).all()
    # Without the guard, at a looser threshold, the shared preambles chain unrelated records together.
    unguarded = find_near_duplicates(records, NearDuplicatesConfig(threshold=0.7, boilerplate_share=None),
                                     lambda source: 0)
    assert unguarded.clusters["size"].max() > 100


def test_template_records_are_near_duplicates_when_their_varying_part_is():
    preamble = " ".join(_words(10, 60))
    parts = [_words(100 + index, 60) for index in range(40)]
    texts = [f"{preamble}\n{' '.join(part)}" for part in parts]
    texts.append(f"{preamble}\n{' '.join(_edit(parts[7], [30], 1))}")  # one word of the varying part changed
    found = find_near_duplicates(_records(*texts), NearDuplicatesConfig(boilerplate_min_documents=10),
                                 lambda source: 0)
    assert found.stats["boilerplate_shingles"] > 0
    assert found.result.rejected["instruction"].tolist() == [texts[-1]]
    assert len(found.result.kept) == 40


def test_planted_corpus_precision_and_recall_meet_the_targets():
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    from planted_corpus import generate, jaccard, shingle_set

    corpus = generate(3000, seed=3)
    settings = NearDuplicatesConfig(workers=1)
    labels, edges = cluster_texts(corpus.texts, settings)
    sets = {}

    def truth(a: int, b: int) -> float:
        for document in (a, b):
            sets.setdefault(document, shingle_set(corpus.texts[document]))
        return jaccard(sets[a], sets[b])

    precision = np.mean([truth(a, b) >= 0.8 for a, b in edges.pairs.tolist()])
    relevant = [(a, b) for a, b in corpus.family_pairs() if truth(a, b) >= 0.85]
    recall = np.mean([labels[a] == labels[b] for a, b in relevant])
    assert len(relevant) > 300
    assert precision >= 0.95 and recall >= 0.9


def test_vectorized_exact_jaccard_equals_python_sets_with_and_without_boilerplate():
    from curation_assets.core.dedup.boilerplate import Boilerplate
    from curation_assets.core.dedup.similarity import ShingleSets

    preamble = " ".join(_words(20, 30))
    texts = [f"{preamble} {' '.join(_words(30 + i % 7, 25 + i))}" for i in range(30)] + ["", "one", "one"]
    shingles = shingle_hashes(texts, "word", 3)
    boilerplate = Boilerplate(shingles, share=0.5, min_documents=5)
    assert len(boilerplate.hashes) > 0
    rng = np.random.default_rng(0)
    pairs = np.unique(np.sort(rng.integers(0, len(texts), size=(200, 2)), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    full, content = ShingleSets.of(shingles, boilerplate).jaccard(pairs)
    for (a, b), got_full, got_content in zip(pairs.tolist(), full, content):
        set_a, set_b = set(shingles.of(a).tolist()), set(shingles.of(b).tolist())
        expected = len(set_a & set_b) / len(set_a | set_b) if set_a | set_b else 1.0
        content_a, content_b = set_a - boilerplate.hashes, set_b - boilerplate.hashes
        expected_content = len(content_a & content_b) / len(content_a | content_b) if content_a | content_b else 1.0
        assert got_full == pytest.approx(expected) and got_content == pytest.approx(expected_content), (a, b)


@pytest.mark.parametrize("other_thread", [False, True], ids=["forked", "spawned"])
def test_signing_on_two_processes_gives_exactly_the_single_process_result(other_thread):
    import threading

    from curation_assets.core.dedup.signing import PARALLEL_MIN_DOCUMENTS, ShingleSpec, sign_texts

    rng = np.random.default_rng(11)
    texts = [" ".join(f"t{value}" for value in rng.integers(0, 5000, size=int(rng.integers(0, 30))))
             for _ in range(PARALLEL_MIN_DOCUMENTS + 123)]
    spec = ShingleSpec("word", 5, 64, 1)
    serial_shingles, serial_signatures = sign_texts(texts, spec, workers=1)
    # Another thread running (as in a Dagster step) makes the pool spawn its workers instead of forking.
    release = threading.Event()
    waiter = threading.Thread(target=release.wait)
    if other_thread:
        waiter.start()
    try:
        parallel_shingles, parallel_signatures = sign_texts(texts, spec, workers=2)
    finally:
        release.set()
        if other_thread:
            waiter.join()
    assert np.array_equal(serial_shingles.offsets, parallel_shingles.offsets)
    assert np.array_equal(serial_shingles.hashes, parallel_shingles.hashes)
    assert np.array_equal(serial_signatures, parallel_signatures)


def test_exact_jaccard_of_more_pairs_than_a_block_equals_the_set_jaccard():
    from curation_assets.core.dedup.similarity import _JACCARD_BLOCK, ShingleSets
    from curation_assets.core.text.shingles import Shingles

    rng = np.random.default_rng(4)
    sets = [set(rng.integers(0, 60, size=rng.integers(0, 30)).tolist()) for _ in range(300)]
    hashes = [np.array(sorted(found), dtype=np.uint32) for found in sets]
    offsets = np.concatenate(([0], np.cumsum([len(found) for found in hashes]))).astype(np.int64)
    shingles = Shingles(np.concatenate(hashes), offsets)
    pairs = np.sort(rng.integers(0, len(sets), size=(2 * _JACCARD_BLOCK + 17, 2)), axis=1)
    full, content = ShingleSets.of(shingles).jaccard(pairs)
    expected = [len(sets[a] & sets[b]) / len(sets[a] | sets[b]) if sets[a] | sets[b] else 1.0 for a, b in pairs]
    assert np.allclose(full, expected) and np.allclose(content, expected)
