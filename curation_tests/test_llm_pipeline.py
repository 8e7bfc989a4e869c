"""The demo graph with an LLM endpoint: generation, verification with repair and judge, mixing.

The endpoint is a real HTTP server on 127.0.0.1 speaking the OpenAI API (with faults); the
pipeline uses the real `openai` client. The first run has a small budget and is cut short; the
second finishes what is left without paying twice; the third is answered entirely from the cache.
"""

import json
from collections import Counter

import pytest
import yaml

from llm_server import ChatServer
from support import demo_config_dict, materialize_config, query

pytestmark = [pytest.mark.slow]

LLM_BATCHES = {"llm_self_instruct", "llm_answers", "llm_faq_paraphrases", "llm_code"}


def _demo_with_endpoint(folder, base_url: str, max_requests: int):
    config = demo_config_dict()
    config["llm"].update(base_url=base_url, model="test-model", api_key_env=None, timeout_seconds=1.0,
                         backoff_seconds=0.05, max_backoff_seconds=2.0, max_requests_per_run=max_requests)
    path = folder / f"demo-llm-{max_requests}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _snapshot(warehouse):
    return {
        "batches": query(warehouse, "SELECT record_id, instruction, response FROM main.synthetic_batches ORDER BY 1"),
        "rejections": query(warehouse, "SELECT stage, reason, count(*) FROM rejections GROUP BY ALL ORDER BY ALL"),
        "train": query(warehouse, "SELECT record_id, instruction, response FROM main.train ORDER BY 1"),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("llm")
    warehouse = folder / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as patch, ChatServer() as server:
        patch.setenv("CURATION_WAREHOUSE", str(warehouse))
        patch.setenv("CURATION_OUTPUT_DIR", str(folder / "exports"))
        server.faults.extend(["429", "500", "empty_choices", "timeout", "non_json", "truncated", "length"])
        first = materialize_config(_demo_with_endpoint(folder, server.base_url, max_requests=20))
        after_first = {
            "requests": len(server.received),
            "cached": {row[0] for row in query(warehouse, "SELECT request_key FROM llm_cache")},
            "rejections": dict(((s, r), n) for s, r, n in query(
                warehouse, "SELECT stage, reason, count(*) FROM rejections GROUP BY ALL")),
        }
        full = _demo_with_endpoint(folder, server.base_url, max_requests=500)
        second = materialize_config(full)
        after_second = {"requests": len(server.received), "snapshot": _snapshot(warehouse)}
        third = materialize_config(full)
        after_third = {"requests": len(server.received), "snapshot": _snapshot(warehouse)}
        keys = server.request_keys()
    return {"folder": folder, "warehouse": warehouse, "results": (first, second, third), "keys": keys,
            "first": after_first, "second": after_second, "third": after_third}


def test_every_run_succeeds_with_every_check_passing(runs):
    for result in runs["results"]:
        assert result.success
        assert [e.check_name for e in result.get_asset_check_evaluations() if not e.passed] == []


def test_a_spent_budget_stops_the_first_run_cleanly_with_the_undone_work_recorded(runs):
    rejections = runs["first"]["rejections"]
    assert runs["first"]["requests"] == 20  # the budget counts every paid request, retries included
    undone = rejections.get(("synthetic", "budget_exhausted"), 0) + rejections.get(("verify", "judge_unavailable"), 0)
    assert undone > 0


def test_the_resumed_run_never_pays_twice_for_an_answered_request(runs):
    keys = runs["keys"]
    first_run_keys = keys[: runs["first"]["requests"]]
    later_keys = keys[runs["first"]["requests"]:]
    assert not runs["first"]["cached"] & set(later_keys)
    # Only the faults of the first run were retried (same request sent again after an error).
    repeated = [key for key, count in Counter(keys).items() if count > 1]
    assert set(repeated) <= set(first_run_keys)


def test_a_rerun_is_answered_entirely_from_the_cache_and_is_identical(runs):
    assert runs["third"]["requests"] == runs["second"]["requests"]
    assert runs["third"]["snapshot"] == runs["second"]["snapshot"]


def test_llm_batches_carry_full_lineage(runs):
    rows = query(runs["warehouse"], "SELECT source, lineage FROM main.synthetic_batches WHERE source LIKE 'llm_%'")
    assert {source for source, _ in rows} == LLM_BATCHES
    for source, text in rows:
        lineage = json.loads(text)
        assert lineage["generator"] == "llm:test-model" and lineage["label"] == "LLM-generated synthetic"
        assert lineage["prompt_templates"] and all(len(t["sha256"]) == 12 for t in lineage["prompt_templates"])
        assert lineage["sampling"]["temperature"] == 0.7 and lineage["generated_at"]
        assert lineage["request_keys"]
        if source != "llm_code":
            assert lineage["seed_record_ids"]


def test_verification_judges_llm_records_and_keeps_the_rationale(runs):
    warehouse = runs["warehouse"]
    judged = [json.loads(text)["verification"]["judge"] for (text,) in query(
        warehouse, "SELECT lineage FROM main.verified_synthetic WHERE source LIKE 'llm_%'")]
    assert judged and all(j["score"] >= 4 and j["model"] == "test-model" and j["rationale"] for j in judged)
    assert all(j["rubric"]["id"] == "judge_rubric_v1" for j in judged)
    low = query(warehouse, "SELECT detail FROM rejections WHERE stage = 'verify' AND reason = 'judge_below_threshold'")
    assert low and all(detail.startswith("score 2 < 4: ") for (detail,) in low)
    # Rule-based records are not sent to the judge (judge_rule_based: false).
    rule = query(warehouse, "SELECT lineage FROM main.verified_synthetic WHERE source = 'synth_invoices' LIMIT 1")
    assert "judge" not in json.loads(rule[0][0])["verification"]


def test_generated_code_is_admitted_only_after_its_tests_pass_with_one_repair_round(runs):
    rows = [json.loads(text) for (text,) in query(
        runs["warehouse"], "SELECT lineage FROM main.synthetic_batches WHERE source = 'llm_code'")]
    verified = {json.loads(text)["position"]: json.loads(text)["verification"] for (text,) in query(
        runs["warehouse"], "SELECT lineage FROM main.verified_synthetic WHERE source = 'llm_code'")}
    repaired = [v for v in verified.values() if v.get("repairs")]
    assert repaired and all(v["repairs"][-1]["result"] == "passed" and v["sandbox"]["passed"] for v in repaired)
    assert len(rows) == 10


def test_self_instruct_keeps_only_novel_instructions(runs):
    details = query(runs["warehouse"], "SELECT detail FROM rejections WHERE stage = 'synthetic' AND reason = 'not_novel'")
    # The test server answers some requests with a copy of a seed example; each is caught.
    assert details and all(float(detail.split()[1]) >= 0.7 for (detail,) in details)
    kept = [row[0] for row in query(runs["warehouse"],
                                    "SELECT instruction FROM main.synthetic_batches WHERE source = 'llm_self_instruct'")]
    seeds = [row[0] for row in query(runs["warehouse"], "SELECT instruction FROM main.raw_faq_export")]
    assert kept and not set(kept) & set(seeds)


def test_in_equals_out_plus_rejected_for_the_synthetic_stages(runs):
    warehouse = runs["warehouse"]
    count = lambda sql: query(warehouse, sql)[0][0]
    from curation_assets.config import load_config

    config = load_config(runs["folder"] / "demo-llm-500.yaml")
    planned_rule = sum(b.count for b in config.catalog().active_batches() if b.generator_kind != "llm")
    assert count("SELECT count(*) FROM main.synthetic_batches WHERE source NOT LIKE 'llm_%'") + count(
        "SELECT count(*) FROM rejections WHERE stage = 'synthetic' AND source NOT LIKE 'llm_%'") == planned_rule
    assert count("SELECT count(*) FROM main.synthetic_batches") == count(
        "SELECT count(*) FROM main.verified_synthetic") + count("SELECT count(*) FROM rejections WHERE stage = 'verify'")


def test_a_failing_batch_fails_alone_and_the_others_flow_downstream(tmp_path, monkeypatch):
    """An endpoint that refuses the key fails the LLM batches; the rule and transform batches of the
    same run are published and reach train, and the warning check names the failed batches."""
    monkeypatch.setenv("CURATION_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("CURATION_OUTPUT_DIR", str(tmp_path / "exports"))
    with ChatServer() as server:
        server.always = "401"
        config = demo_config_dict()
        config["llm"].update(base_url=server.base_url, model="test-model", api_key_env=None, timeout_seconds=1.0)
        config["verify"]["judge"] = {"enabled": False}  # verification must not need the refused endpoint
        path = tmp_path / "refused.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        result = materialize_config(path)

    assert result.success
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    warning = evaluations[("synthetic_batches", "every_partition_published")]
    assert not warning.passed
    failed = warning.metadata["failed"].value
    assert set(failed) == LLM_BATCHES and all("LLMFatalError" in why for why in failed.values()), failed
    assert evaluations[("synthetic_batches", "gx_synthetic_batches")].passed
    warehouse = tmp_path / "warehouse.duckdb"
    published = {row[0] for row in query(warehouse, "SELECT DISTINCT source FROM main.synthetic_batches")}
    assert published and not published & LLM_BATCHES
    in_train = {row[0] for row in query(warehouse, "SELECT DISTINCT source FROM main.train")}
    assert published & in_train  # the good batches went all the way
