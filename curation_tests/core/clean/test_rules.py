"""The rule protocol: one runner applies rules and rewrites in order and writes what they did once."""

from __future__ import annotations

import json

import pandas as pd

from curation_assets.core.clean.settings import CleanConfig, QualityConfig
from curation_assets.core.clean.stage import CleanPlan
from curation_assets.core.rules import Rule, TextRewrite, TextRule, Verdicts, run_rules


class Shouting(TextRule):
    name = "shouting"

    def detail(self, text: str) -> str | None:
        return "all capitals" if text.isupper() else None


class Seen(Rule):
    """Drops nothing; remembers which responses it was shown."""

    name = "seen"

    def __init__(self) -> None:
        self.shown: list[str] = []

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        self.shown.extend(batch["response"])
        return Verdicts.keep_all(len(batch))


def test_a_record_is_rejected_by_the_first_rule_it_fails_and_later_rules_never_see_it(make_records):
    frame = make_records(dict(response="FINE"), dict(response="Fine"), dict(response="  LOUD  "))
    seen = Seen()
    run = run_rules(frame, [TextRewrite("stripped", str.strip), Shouting(), seen], "clean")
    assert run.rejected["reason"].tolist() == ["shouting", "shouting"]
    assert run.rejected["response"].tolist() == ["FINE", "  LOUD  "]  # as the record entered the stage
    assert seen.shown == ["Fine"]
    assert run.drops == {"shouting": 2}
    assert [example["response"] for example in run.examples["shouting"]] == ["FINE", "LOUD"]  # as judged


def test_rewrites_are_counted_and_listed_in_the_lineage_of_records_they_changed(make_records):
    frame = make_records(dict(instruction=" Hi ", response=" there "), dict(instruction="Hi", response="there"))
    run = run_rules(frame, [TextRewrite("stripped", str.strip, ["instruction", "response"])], "clean")
    assert run.kept["instruction"].tolist() == ["Hi", "Hi"]
    lineages = [json.loads(lineage) for lineage in run.kept["lineage"]]
    assert lineages[0]["clean"] == ["instruction:stripped", "response:stripped"]
    assert "clean" not in lineages[1]
    assert run.rewrites == {"stripped": 1}  # records, not fields


def test_progress_is_told_after_each_ten_thousand_records(make_records):
    frame = make_records(dict(response="ok")).iloc[[0] * 20_001].reset_index(drop=True)
    seen = []
    run = run_rules(frame, [Shouting()], "clean", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(10_000, 20_001), (20_000, 20_001)]
    assert len(run.kept) == 20_001


def test_each_clean_step_declares_the_reasons_it_gives_and_quality_names_are_config_keys():
    steps = CleanPlan(CleanConfig()).steps
    reasons = [reason for step in steps for reason in step.reasons]
    assert len(reasons) == len(set(reasons))
    assert {"empty_instruction", "pii", "too_few_words", "repeated_lines", "repeated_ngrams", "language"} <= set(reasons)
    quality_names = [step.name for step in steps if step.name in QualityConfig.model_fields]
    assert quality_names == list(QualityConfig.model_fields)  # every quality rule, in config order
    switched_off = CleanPlan(CleanConfig(quality=QualityConfig(repetition={"enabled": False}))).steps
    assert "repetition" not in [step.name for step in switched_off]
