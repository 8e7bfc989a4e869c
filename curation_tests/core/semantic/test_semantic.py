"""Embeddings, per-record domains, topic clusters and semantic duplicates, on real text: the public
datasets as background, paraphrases planted with few shared word sequences."""

from __future__ import annotations

import json

import numpy as np
import pytest

from curation_assets.core.dedup.near_dup import cluster_texts
from curation_assets.core.dedup.settings import NearDuplicatesConfig
from curation_assets.core.semantic.clusters import ClusterError, cluster_labels, fit_clusters
from curation_assets.core.semantic.domains import DomainError, accuracy, train_classifier
from curation_assets.core.semantic.embed import EmbedderError, fit_embedder, record_texts
from curation_assets.core.semantic.semantic_dups import nearest_clusters, semantic_duplicates
from curation_assets.core.synthetic.rule_tasks import python_function
from support import PARAPHRASES

def _self_instruct(shared_data) -> list[str]:
    texts = []
    for line in (shared_data / "self_instruct_seed_tasks.jsonl").read_text(encoding="utf-8").splitlines():
        task = json.loads(line)
        texts += [f"{task['instruction']}\n{instance['input']}\n{instance['output']}" for instance in task["instances"]]
    return texts


def test_the_domain_classifier_tells_math_code_and_general_apart_on_held_out_records(shared_data):
    math = [json.loads(line) for line in (shared_data / "gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()[:1500]]
    general = json.loads((shared_data / "gpteacher_toolformer.json").read_text(encoding="utf-8"))[:1200]
    code = python_function(300, seed=3)
    texts = (record_texts([m["question"] for m in math], [""] * len(math), [m["answer"] for m in math])
             + record_texts([g["instruction"] for g in general], [g["input"] for g in general], [g["output"] for g in general])
             + _self_instruct(shared_data)
             + record_texts([c.instruction for c in code], [c.input for c in code], [c.response for c in code]))
    labels = np.array(["math"] * len(math) + ["general"] * (len(texts) - len(math) - len(code)) + ["code"] * len(code),
                      dtype=object)
    held = np.random.default_rng(0).random(len(texts)) < 0.3
    embedder = fit_embedder([text for text, out in zip(texts, held) if not out], dimensions=96, seed=0)
    embeddings = embedder.embed(texts)
    classifier = train_classifier(embeddings[~held], labels[~held])
    measured = accuracy(classifier, embeddings[held], labels[held])
    assert measured["accuracy"] >= 0.9, measured
    assert min(measured["per_domain"].values()) >= 0.85, measured
    # the same sample and seed fit the same embedder
    assert fit_embedder([text for text, out in zip(texts, held) if not out], 96, 0).fingerprint == embedder.fingerprint


def test_semantic_dedup_finds_planted_paraphrases_that_minhash_misses(shared_data):
    background = _self_instruct(shared_data)
    texts = background + [text for pair in PARAPHRASES for text in pair]
    planted = {len(background) + 2 * n + 1: len(background) + 2 * n for n in range(len(PARAPHRASES))}

    minhash_clusters, _ = cluster_texts(texts, NearDuplicatesConfig())
    assert all(minhash_clusters[copy] != minhash_clusters[original] for copy, original in planted.items())

    embedder = fit_embedder(texts, dimensions=128, seed=0)
    embeddings = embedder.embed(texts)
    clusters = fit_clusters([embeddings], count=12, seed=0)
    found = semantic_duplicates(embeddings, nearest_clusters(embeddings, clusters.centroids, probe=2),
                                preference=np.arange(len(texts)), threshold=0.8)
    assert {copy: found.dropped[copy][0] for copy in planted if copy in found.dropped} == planted
    background_dropped = [row for row in found.dropped if row < len(background)]
    assert len(background_dropped) <= 0.02 * len(background), background_dropped
    assert all(found.dropped[row][1] >= 0.8 for row in found.dropped)
    assert all(abs(similarity - 0.8) <= 0.03 for _, _, similarity in found.near_threshold)


def test_clusters_get_labels_from_their_characteristic_words_and_small_corpora_fall_back():
    texts = ["router password reset button"] * 3 + ["volcano magma eruption crust"] * 3 + ["marathon training mileage"] * 3
    embedder = fit_embedder(texts, dimensions=8, seed=0)
    assert embedder.dimensions == 2  # three distinct texts: at most two dimensions, not an error
    embeddings = embedder.embed(texts)
    clusters = fit_clusters([embeddings], count=50, seed=0)
    assert (clusters.count, clusters.requested) == (9, 50)  # fewer records than clusters: one per record at most
    three = fit_clusters([embeddings], count=3, seed=0)
    assignment = three.assign(embeddings)
    assert len(set(assignment.tolist())) == 3
    labels = cluster_labels(texts, assignment, three.count)
    assert sorted(labels.values()) == sorted(["button · password · reset", "crust · eruption · magma",
                                              "marathon · mileage · training"])


def test_bad_input_gets_clear_errors():
    with pytest.raises(EmbedderError, match="no texts"):
        fit_embedder([], 16, 0)
    with pytest.raises(ClusterError, match="no records"):
        fit_clusters([np.zeros((0, 4), dtype=np.float32)], 3, 0)
    with pytest.raises(DomainError, match="two domains or more"):
        train_classifier(np.eye(3, dtype=np.float32), ["math"] * 3)


def test_an_embedder_path_that_does_not_exist_or_holds_no_model_is_a_config_error(tmp_path):
    from curation_assets.config import ConfigError, load_config
    from support import demo_config_dict, write_yaml

    config = demo_config_dict()
    config["embedder"] = {"model_path": "models/minilm"}
    path = write_yaml(tmp_path / "config.yaml", config)
    with pytest.raises(ConfigError, match="no model folder at .*models/minilm"):
        load_config(path)
    (tmp_path / "models" / "minilm").mkdir(parents=True)
    with pytest.raises(ConfigError, match="holds no sentence-transformers model"):
        load_config(path)
    (tmp_path / "models" / "minilm" / "modules.json").write_text("[]", encoding="utf-8")
    assert load_config(path).embedder_path() == str((tmp_path / "models" / "minilm").absolute())


@pytest.mark.skipif(__import__("importlib").util.find_spec("sentence_transformers") is not None,
                    reason="the library is installed: this is the test of its absence")
def test_a_model_path_without_the_library_says_what_to_install(tmp_path):
    import pickle

    from curation_assets.core.semantic.embed import make_embedder

    embedder = make_embedder(["a text"], 8, 0, str(tmp_path))
    assert pickle.loads(pickle.dumps(embedder)).model_path == str(tmp_path)  # workers get the path, not weights
    with pytest.raises(EmbedderError, match="pip install sentence-transformers"):
        embedder.embed(["a text"])
