"""Synthetic data, pure parts: rule generators, transforms, novelty, rule checks, sandbox, judge parsing, mixing."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest

from curation_assets.core.mix.settings import MixConfig
from curation_assets.core.synthetic.settings import BatchConfig
from curation_assets.core.verify.settings import VerifyConfig
from curation_assets.core.mix.mix import mix_records
from curation_assets.core.synthetic.augment import casing, gender_swap, typos
from curation_assets.core.synthetic.batch import rule_batch, transform_batch
from curation_assets.core.synthetic.chat import ChatRequest
from curation_assets.core.synthetic.novelty import NoveltyFilter, novel_naive, rouge_l, tokens
from curation_assets.core.synthetic.prompts import TemplateError, load_template
from curation_assets.core.synthetic.rule_tasks import RULE_GENERATORS
from curation_assets.core.verify.judge import parse_judgement
from curation_assets.core.verify.rules import rule_failures
from curation_assets.core.verify.sandbox import run_tests
from curation_assets.core.verify.verify import verify_records


@pytest.mark.parametrize("task", sorted(RULE_GENERATORS))
def test_rule_batches_are_deterministic_per_seed_and_differ_across_seeds(task):
    batch = BatchConfig(name="b", task=task, count=5, seed=3)
    first = rule_batch(batch, "CC0", "2026-01-01T00:00:00+00:00").records
    again = rule_batch(batch, "CC0", "2026-01-01T00:00:00+00:00").records
    other = rule_batch(batch.model_copy(update={"seed": 4}), "CC0", "2026-01-01T00:00:00+00:00").records
    pd.testing.assert_frame_equal(first, again)
    assert list(first["record_id"]) != list(other["record_id"])
    assert first["record_id"].is_unique and (first["kind"] == "synthetic").all()


@pytest.mark.parametrize("task", sorted(RULE_GENERATORS))
def test_every_rule_generated_record_passes_its_own_checks(task):
    language = "de" if task == "form_extraction" else "en"
    batch = BatchConfig(name="b", task=task, count=25, seed=11, language=language)
    records = rule_batch(batch, "CC0", "t").records
    result, stats = verify_records(records, VerifyConfig())
    assert result.rejected.empty, result.rejected[["reason", "detail"]].to_dict("records")
    assert len(result.kept) == 25


def test_rule_lineage_names_generator_seed_license_time_and_what_to_verify():
    batch = BatchConfig(name="invoices", task="invoice_extraction", count=1, seed=9)
    lineage = json.loads(rule_batch(batch, "CC0-1.0", "2026-01-02T03:04:05+00:00", "fp").records["lineage"][0])
    assert lineage["generator"] == "rule:invoice_extraction" and lineage["label"].startswith("rule-based")
    assert lineage["sampling"] == {"seed": 9} and lineage["license"] == "CC0-1.0"
    assert lineage["generated_at"] == "2026-01-02T03:04:05+00:00" and lineage["fingerprint"] == "fp"
    assert lineage["expect"]["format"] == "json" and lineage["expect"]["grounded_in_input"]


def test_typos_and_casing_change_only_the_instruction_and_gender_swap_changes_all_text():
    rng = random.Random(1)
    text = "Please summarize the quarterly report for the finance team in three bullet points"
    typo = typos(text, "input", "response", rng)
    assert typo.changes > 0 and typo.instruction != text and (typo.input, typo.response) == ("input", "response")
    assert casing("Make It Shorter", "", "ok", random.Random(0)).instruction.lower() == "make it shorter"
    swapped = gender_swap("Ask him about his sister.", "The man waved.", "He said his brother called.", rng)
    assert swapped.instruction == "Ask her about her brother."
    assert swapped.input == "The woman waved." and swapped.response == "She said her sister called."
    assert swapped.changes == 7  # him, his, sister; man; He, his, brother


def test_a_transform_that_changes_nothing_is_rejected_not_silently_dropped(make_records):
    seeds = make_records({"instruction": "Reset the router."}, {"instruction": "Ask him to reset the router."})
    batch = BatchConfig(name="g", task="augment", transform="gender_swap", from_source="alpha", count=2)
    result = transform_batch(batch, seeds, "x", "t")
    assert len(result.records) + len(result.rejections) == result.planned == 2
    assert list(result.rejections["reason"]) == ["transform_no_change"]
    lineage = json.loads(result.records["lineage"][0])
    assert lineage["seed_record_ids"] and lineage["transform"]["name"] == "gender_swap"


def test_novelty_filter_matches_the_all_pairs_baseline_and_rejects_near_copies():
    seeds = ["Write a poem about the sea.", "Give three tips for staying healthy.", "Translate 'cat' into French."]
    candidates = ["Write a poem about the sea!", "Describe how glaciers form in polar regions.",
                  "Give three tips for staying healthy at work.", "Describe how glaciers form in polar regions today.",
                  "List five prime numbers above one hundred."]
    novelty = NoveltyFilter(seeds)
    verdicts = [novelty.accept_if_novel(text).novel for text in candidates]
    assert verdicts == novel_naive(candidates, seeds) == [False, True, False, False, True]
    assert rouge_l(tokens("a b c d"), tokens("a b c d")) == 1.0


def _check(response, expect, instruction="Extract the total amount due from the invoice shown below.", input_="Total: 12.50"):
    return [reason for reason, _ in rule_failures(instruction, input_, response, {"expect": expect}, VerifyConfig())]


def test_rule_checks_catch_empty_invalid_json_missing_keys_ungrounded_values_and_bad_code():
    json_expect = {"format": "json", "json_keys": ["total"], "grounded_in_input": True, "language": "en"}
    assert _check('{"total": "12.50"}', json_expect) == []
    assert _check("", json_expect) == ["empty_response"]
    assert _check("total is 12.50", json_expect) == ["invalid_json"]
    assert _check('{"sum": "12.50"}', json_expect) == ["missing_json_keys"]
    assert _check('{"total": "99.99"}', json_expect) == ["ungrounded_answer"]
    assert _check("```python\ndef f(:\n```", {"format": "python"}) == ["invalid_python"]


def test_rule_checks_catch_truncation_and_the_wrong_language():
    assert _check("A long answer that was cut", {"complete": False}) == ["truncated"]
    german = "Bitte fasse den folgenden Text in drei kurzen Sätzen zusammen und nenne die wichtigsten Punkte."
    assert _check("Fine.", {"language": "en"}, instruction=german) == ["wrong_language"]
    assert _check("Fine.", {"language": "de"}, instruction=german) == []


def test_sandbox_admits_passing_code_and_names_failures_timeouts_memory_and_network():
    limits = dict(timeout_seconds=2, memory_mb=256)
    assert run_tests("def f(x):\n    return x + 1\n", "assert f(1) == 2\n", **limits).passed
    assert run_tests("def f(x):\n    return x\n", "assert f(1) == 2\n", **limits).reason == "tests_failed"
    assert run_tests("def f(x):\n    while True:\n        pass\n", "f(1)\n", **limits).reason == "timeout"
    assert run_tests("def f(x):\n    return bytearray(1 << 31)\n", "f(1)\n", **limits).reason == "memory_exceeded"
    network = "import socket\ndef f():\n    return socket.create_connection(('127.0.0.1', 9))\n"
    assert run_tests(network, "f()\n", **limits).reason == "network_blocked"
    assert run_tests("import os\ndef f():\n    return os.getcwd()\n", "assert 'curation-sandbox-' in f()\n", **limits).passed
    assert run_tests("import os\n", "assert 'HOME' not in os.environ\n", **limits).passed


def test_judge_replies_parse_to_a_score_and_rationale_or_nothing():
    assert parse_judgement('{"score": 4, "rationale": "fine"}').score == 4
    assert parse_judgement('```json\n{"score": "5", "rationale": "ok"}\n```').score == 5
    assert parse_judgement('{"score": 7}') is None and parse_judgement("five") is None and parse_judgement(None) is None


def test_templates_carry_an_id_and_content_hash_and_unknown_ids_fail_clearly():
    template = load_template("judge_rubric_v1")
    assert template.id == "judge_rubric_v1" and len(template.short_hash) == 12
    messages = template.render(instruction="i", input="n", response="r")
    assert [m["role"] for m in messages] == ["system", "user"]
    with pytest.raises(TemplateError, match="not found"):
        load_template("no_such_template")


def test_the_cache_key_covers_model_messages_and_sampling():
    base = ChatRequest.of("m", [{"role": "user", "content": "hi"}], temperature=0.7, seed=1)
    assert base.key() == ChatRequest.of("m", [{"role": "user", "content": "hi"}], seed=1, temperature=0.7).key()
    assert base.key() != ChatRequest.of("m2", [{"role": "user", "content": "hi"}], temperature=0.7, seed=1).key()
    assert base.key() != ChatRequest.of("m", [{"role": "user", "content": "hi"}], temperature=0.7, seed=2).key()


def _mix_frame(make_records, real: dict[str, int], synthetic: dict[str, int]):
    rows, index = [], 0
    for kind, counts in (("real", real), ("synthetic", synthetic)):
        for source, count in counts.items():
            for position in range(count):
                rows.append({"index": index, "source": source, "source_position": position, "kind": kind})
                index += 1
    return make_records(*rows)


DOMAINS = {"docs": "general", "gen_general": "general", "gen_math": "math", "gen_code": "code"}
RANKS = list(DOMAINS)


def test_mixing_keeps_every_real_record_and_caps_the_synthetic_fraction(make_records):
    records = _mix_frame(make_records, {"docs": 60}, {"gen_general": 100})
    result, report = mix_records(records, MixConfig(max_synthetic_fraction=0.25), DOMAINS.get, RANKS.index)
    assert (result.kept["kind"] == "real").sum() == 60
    assert (result.kept["kind"] == "synthetic").sum() == 20  # 20 / 80 = 0.25
    assert set(result.rejected["reason"]) == {"synthetic_cap"} and len(result.rejected) == 80
    assert len(result.kept) + len(result.rejected) == len(records)


def test_mixing_fills_domains_toward_their_targets_and_reports_achieved_against_target(make_records):
    records = _mix_frame(make_records, {"docs": 50}, {"gen_math": 100, "gen_code": 10})
    targets = {"general": 0.5, "math": 0.3, "code": 0.2}
    result, report = mix_records(records, MixConfig(max_synthetic_fraction=0.5, domain_targets=targets),
                                 DOMAINS.get, RANKS.index)
    achieved = report.set_index("domain")
    assert achieved.loc["general", "records"] == 50 and achieved.loc["code", "synthetic_admitted"] == 10
    assert achieved.loc["math", "achieved_share"] <= 0.3 + 1e-9
    # Math may hold 30% of the final mix: m <= 0.3 * (50 + 10 + m), so m = 25.
    assert achieved.loc["math", "synthetic_admitted"] == 25
    assert set(result.rejected["reason"]) == {"domain_cap"}
    assert list(report.columns)[:3] == ["domain", "target_share", "achieved_share"]


def test_mix_config_rejects_targets_that_do_not_add_up():
    with pytest.raises(ValueError, match="add up to 1"):
        MixConfig(domain_targets={"general": 0.5, "math": 0.2})
