"""PII detection on a planted set (recall and exact output) and on real math data (false positives)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from curation_assets.core.clean.settings import CleanConfig, PiiConfig
from curation_assets.core.clean.stage import CleanPlan, clean_records
from curation_assets.core.clean.pii import PII_TYPES, PiiScanner, iban_valid, luhn_valid, redact
from planted_pii import planted_pii_set


@pytest.fixture(scope="module")
def scanner() -> PiiScanner:
    return PiiScanner(PII_TYPES, "hyperscan")


def test_planted_pii_recall_is_at_least_99_percent_for_every_type(scanner):
    items = planted_pii_set()
    caught, total = Counter(), Counter()
    for pii_type, text, expected in items:
        total[pii_type] += 1
        redacted = redact(text, scanner.finds(text))
        # Caught: the placeholder of the right type is where the value was (the rest is checked below).
        caught[pii_type] += redacted.count(f"<{pii_type}>") == expected.count(f"<{pii_type}>")
    assert set(total) == set(PII_TYPES)
    for pii_type in PII_TYPES:
        assert caught[pii_type] / total[pii_type] >= 0.99, (pii_type, caught[pii_type], total[pii_type])
    assert sum(caught.values()) / sum(total.values()) >= 0.99


def test_planted_pii_carriers_keep_every_ordinary_number(scanner):
    # Prices, dates, times, ratios, order numbers and arithmetic around the PII must survive untouched.
    mismatches = [(text, redact(text, scanner.finds(text))) for _, text, expected in planted_pii_set()
                  if redact(text, scanner.finds(text)) != expected]
    assert mismatches == []


def test_no_pii_rule_alters_any_of_the_7473_gsm8k_records(shared_data, scanner):
    altered = []
    lines = (shared_data / "gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        record = json.loads(line)
        for field in ("question", "answer"):
            finds = scanner.finds(record[field])
            if finds:
                altered.append((number, field, [record[field][f.start:f.end] for f in finds]))
    assert len(lines) == 7473
    assert altered == []


def test_hyperscan_prefilter_gives_exactly_the_every_text_result(shared_data):
    fast, every = PiiScanner(PII_TYPES, "hyperscan"), PiiScanner(PII_TYPES, "none")
    texts = [text for _, text, _ in planted_pii_set(count_per_type=30)]
    tool = json.loads((shared_data / "gpteacher_toolformer.json").read_text(encoding="utf-8"))
    texts += [record[field] for record in tool[:3000] for field in ("instruction", "input", "output")]
    texts += ["\ud800 lone surrogate jane@example.com", "ümlaut +49 30 1234567 ü", ""]
    assert [fast.finds(text) for text in texts] == [every.finds(text) for text in texts]
    assert fast.finds_batch(texts) == [every.finds(text) for text in texts]  # one Hyperscan scan of them all


@pytest.mark.parametrize("text", [
    "The answer is 48/2 = 24 and 1 000 000 people, ratio 2:5, at 10:30 on 2024-05-17.",
    "Call 911 or dial 0 for the operator; version 1.2.3 ships in 2026.",
    "Order #4821394 costs $1,234,567.89; see ISBN 978-3-16-148410-0.",
    "def total(items): return sum(items)  # items[1:3], a::b, std::vector",
    "https://en.wikipedia.org/wiki/Natural_language_processing_and_more_words",
])
def test_ordinary_text_with_numbers_and_code_is_not_pii(scanner, text):
    assert scanner.finds(text) == []


def test_validators_reject_numbers_that_only_look_like_cards_and_ibans():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE88 3704 0044 0532 0130 00")
    scanner = PiiScanner(PII_TYPES)
    assert [f.type for f in scanner.finds("card 4111 1111 1111 1112 and DE88370400440532013000")] == []


def test_sources_configured_to_drop_lose_the_record_and_others_get_placeholders(make_records):
    frame = make_records(
        dict(source="alpha", instruction="Email jane.doe@example.com about it.", response="Call +44 20 7946 0958."),
        dict(source="beta", instruction="Email jane.doe@example.com about it.", response="Done."),
        dict(source="beta", instruction="What is 12 + 30?", response="42"),
    )
    plan = CleanPlan(CleanConfig(), pii_actions={"alpha": "redact", "beta": "drop"})
    result = clean_records(frame, plan)

    kept = result.kept.set_index("source_position")
    assert kept.loc[0, "instruction"] == "Email <EMAIL> about it."
    assert kept.loc[0, "response"] == "Call <PHONE>."
    assert json.loads(kept.loc[0, "lineage"])["pii_redacted"] == {"EMAIL": 1, "PHONE": 1}
    assert kept.loc[2, "response"] == "42"
    rejected = result.rejected.iloc[0]
    assert (rejected["reason"], rejected["detail"]) == ("pii", "PII found: EMAIL×1")
    assert result.report.pii_by_type == Counter({"EMAIL": 2, "PHONE": 1})
    assert (result.report.pii_records_redacted, result.report.pii_records_dropped) == (1, 1)


def test_pii_can_be_switched_off_or_limited_to_some_types(make_records):
    frame = make_records(dict(instruction="Mail a@example.com or call (415) 555-0132.", response="Ok."))
    off = clean_records(frame, CleanConfig(pii=PiiConfig(enabled=False)))
    assert off.kept.iloc[0]["instruction"] == "Mail a@example.com or call (415) 555-0132."
    phones_only = clean_records(frame, CleanConfig(pii=PiiConfig(types=["PHONE"])))
    assert phones_only.kept.iloc[0]["instruction"] == "Mail a@example.com or call <PHONE>."
