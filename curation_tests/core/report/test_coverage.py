"""The data card's topic coverage: every sampled record counted once per split and kind, topics named
by their words, and a train split too small to cluster said so."""

from __future__ import annotations

import json

import pandas as pd

from curation_assets.core.report.coverage import topic_coverage
from curation_assets.core.report.plots import topic_map


def _frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"record_id": f"{n:020x}", "kind": kind, "instruction": text, "input": "", "response": text}
                         for n, (kind, text) in enumerate(rows)])


def test_topics_count_every_sampled_record_by_split_and_kind(shared_data):
    math = [json.loads(line)["question"] for line in
            (shared_data / "gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()[:300]]
    tools = [item["instruction"] for item in
             json.loads((shared_data / "gpteacher_toolformer.json").read_text(encoding="utf-8"))[:300]]
    train = _frame([("real", text) for text in math[:250]] + [("synthetic", text) for text in tools[:250]])
    eval_ = _frame([("real", text) for text in math[250:]])  # eval holds no tool-use records at all
    coverage = topic_coverage({"train": train, "eval": eval_}, clusters=6, seed=0)

    rows = coverage["rows"]
    assert coverage["clusters"] == len(rows) == 6
    assert sum(row["train_real"] + row["train_synthetic"] for row in rows) == len(train)
    assert sum(row["eval_real"] for row in rows) == len(eval_) and sum(row["eval_synthetic"] for row in rows) == 0
    # topics split along the sources: a tool-use topic is synthetic only, and eval has none of it
    tool_topics = [row for row in rows if row["train_synthetic"] and not row["train_real"]]
    assert tool_topics and all(row["eval_real"] == 0 for row in tool_topics)
    assert all(row["label"] and row["label"] != "(empty)" for row in rows)
    assert topic_map(coverage["map"], coverage["labels"]).startswith(b"\x89PNG")
    # the same sample and seed give the same topics
    assert topic_coverage({"train": train, "eval": eval_}, clusters=6, seed=0)["rows"] == rows


def test_a_train_split_too_small_to_cluster_is_said_so():
    coverage = topic_coverage({"train": _frame([("real", "one record")]), "eval": _frame([])}, clusters=6, seed=0)
    assert coverage == {"note": "train holds 1 records: too few to cluster into topics"}
