"""Synthetic batches, pure parts: rule generators, transforms, novelty, prompt templates, the LLM cache key."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest

from curation_assets.core.synthetic.settings import BatchConfig
from curation_assets.core.verify.settings import VerifyConfig
from curation_assets.core.synthetic.augment import casing, gender_swap, typos
from curation_assets.core.synthetic.batch import rule_batch, transform_batch
from curation_assets.core.synthetic.chat import ChatRequest
from curation_assets.core.synthetic.novelty import NoveltyFilter, novel_naive, rouge_l
from curation_assets.core.text.tokens import words
from curation_assets.core.synthetic.prompts import TemplateError, load_template
from curation_assets.core.synthetic.rule_tasks import RULE_GENERATORS
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


def test_rule_batches_do_not_depend_on_the_day_they_are_generated():
    # Dates come from fixed windows: relative ones ("the last two years") change a seed's batch at midnight.
    invoices = rule_batch(BatchConfig(name="b", task="invoice_extraction", count=200, seed=1), "CC0", "t").records
    forms = rule_batch(BatchConfig(name="f", task="form_extraction", count=200, seed=1, language="de"), "CC0", "t").records
    invoice_dates = set(invoices["input"].str.findall(r"\d{4}-\d{2}-\d{2}").sum())
    birth_dates = set(forms["input"].str.findall(r"\d{4}-\d{2}-\d{2}").sum())
    assert invoice_dates and max(invoice_dates) <= "2024-12-31" and min(invoice_dates) >= "2023-01-01"
    assert birth_dates and max(birth_dates) <= "2006-12-31" and min(birth_dates) >= "1936-01-01"


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
    assert rouge_l(words("a b c d"), words("a b c d")) == 1.0


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


def test_a_generated_record_over_the_bound_is_rejected_and_the_batch_goes_on(make_records):
    from curation_assets.core.synthetic.batch import transform_batch
    from curation_assets.core.synthetic.settings import BatchConfig

    seeds = make_records(dict(instruction="Say hello.", response="Hello."),
                         dict(instruction="Tell me everything.", response="y" * 5_000))
    batch = BatchConfig(name="cased", task="augment", transform="casing", count=2, from_source="demo",
                        max_field_chars=1_000)
    result = transform_batch(batch, seeds, "test", "2026-01-01T00:00:00Z")
    assert result.records["instruction"].str.lower().tolist() == ["say hello."]
    (row,) = result.rejections.itertuples(index=False)
    assert row.reason == "too_long" and row.stage == "synthetic"
    assert row.detail == "response (5,000 characters) longer than 1,000" and len(row.response) == 1_000
