"""The pipeline on the three public datasets: three schemas, real and synthetic, ~15k records."""

import json

import pytest

from support import SHARED_DATA, query

pytestmark = [pytest.mark.slow]


def test_all_three_sources_load_completely(shared_data_run):
    result, folder = shared_data_run
    warehouse = folder / "warehouse.duckdb"
    assert result.success
    counts = dict(query(warehouse, "SELECT source, count(*) FROM main.combined GROUP BY source"))
    seed_instances = sum(len(json.loads(line)["instances"])
                         for line in (SHARED_DATA / "self_instruct_seed_tasks.jsonl")
                         .read_text().splitlines() if line.strip())
    # Plus the example's offline synthetic batch (its LLM batches are inactive without an endpoint).
    assert counts == {"gsm8k": 7473, "gpteacher_toolformer": 7673, "self_instruct_seeds": seed_instances,
                      "synth_word_problems": 200}
    assert query(warehouse, "SELECT count(*) FROM rejections WHERE stage = 'load'")[0][0] == 0


def test_each_stage_balances_on_real_data(shared_data_run):
    warehouse = shared_data_run[1] / "warehouse.duckdb"
    combined = query(warehouse, "SELECT count(*) FROM main.combined")[0][0]
    train, eval_ = (query(warehouse, f"SELECT count(*) FROM main.{t}")[0][0] for t in ("train", "eval"))
    rejected = query(warehouse, "SELECT count(*) FROM rejections WHERE stage NOT IN ('load', 'synthetic', 'verify')")[0][0]
    assert combined == train + eval_ + rejected
    assert 0.03 < eval_ / (train + eval_) < 0.07  # eval_fraction 0.05


def test_seed_task_instances_keep_their_parent_instruction(shared_data_run):
    warehouse = shared_data_run[1] / "warehouse.duckdb"
    row = query(warehouse, "SELECT instruction, lineage FROM main.combined WHERE source = 'self_instruct_seeds' "
                           "AND source_position = 1")[0]
    assert row[0].startswith("Is there anything I can eat for a breakfast")
    assert json.loads(row[1])["item"] == 0


def test_synthetic_and_real_are_labelled_in_the_export_manifest(shared_data_run):
    exports = shared_data_run[1] / "exports"
    manifest = json.loads((exports / "manifest.json").read_text())
    assert manifest["sources"]["gpteacher_toolformer"]["kind"] == "synthetic"
    assert manifest["sources"]["gsm8k"]["kind"] == "real"
    assert manifest["sources"]["gsm8k"]["license"].startswith("MIT")
