"""SourceCatalog: what governs the records of each source name (configured source, inbox file, batch, day of a batch)."""

import re

import pytest

from curation_assets.core.catalog import SourceCatalog
from curation_assets.core.load.settings import InboxConfig, SourceConfig
from curation_assets.core.synthetic.settings import BatchConfig

FIELDS = {"instruction": "q", "response": "a"}


def catalog(llm_endpoint: bool, inbox: bool = True) -> SourceCatalog:
    sources = (
        SourceConfig(name="logs", path="logs.jsonl", format="jsonl", fields=FIELDS, kind="real", license="MIT",
                     domain="support"),
        SourceConfig(name="faq", path="faq.csv", format="csv", fields=FIELDS, kind="real", license="CC-BY-4.0",
                     pii="drop"),
    )
    batches = (
        BatchConfig(name="forms", task="form_extraction", count=3, daily=True, pii="keep", domain="forms"),
        BatchConfig(name="answers", task="response", count=3, from_source="faq"),
        BatchConfig(name="typos", task="augment", count=3, from_source="logs", transform="typos"),
    )
    return SourceCatalog(sources=sources, batches=batches,
                         inbox=InboxConfig(fields=FIELDS, license="internal", pii="drop") if inbox else None,
                         llm_endpoint=llm_endpoint, llm_model="small-model")


def test_sources_rank_before_inbox_files_before_batches_and_a_day_ranks_with_its_batch():
    names = ["logs", "faq", "inbox/a.csv", "forms", "forms_20260101", "answers", "typos"]
    assert [catalog(True).source_rank(name) for name in names] == [0, 1, 2, 3, 3, 4, 5]
    assert catalog(True, inbox=False).source_rank("forms") == 2


def test_each_name_answers_with_the_settings_of_what_brought_its_records():
    found = catalog(True)
    assert (found.domain_of("logs"), found.pii_action("faq"), found.license_of("faq")) == ("support", "drop", "CC-BY-4.0")
    assert (found.kind_of("inbox/a.csv"), found.pii_action("inbox/a.csv"), found.license_of("inbox/a.csv")) == \
        ("real", "drop", "internal")
    assert (found.kind_of("forms_20260101"), found.domain_of("forms_20260101"), found.pii_action("forms_20260101")) == \
        ("synthetic", "forms", "keep")
    assert found.license_of("answers") == "model output (small-model); the model provider's terms apply"
    assert found.license_of("typos") == "derived from source logs; its license applies"
    assert found.license_of("forms") == "CC0-1.0 (rule-generated)"


def test_a_day_of_a_daily_batch_has_a_seed_of_its_own_and_a_day_of_another_batch_is_unknown():
    found = catalog(True)
    assert found.batch("forms_20260101").seed != found.batch("forms_20260102").seed
    with pytest.raises(KeyError, match="not daily"):
        found.batch("typos_20260101")
    with pytest.raises(KeyError, match="no synthetic batch"):
        found.origin("nowhere")


def test_llm_batches_are_active_only_with_an_endpoint():
    offline, online = catalog(False), catalog(True)
    assert [b.name for b in offline.active_batches()] == ["forms", "typos"]
    assert [b.name for b in offline.inactive_batches()] == ["answers"]
    assert not offline.is_active_batch("answers") and online.is_active_batch("answers")
    assert offline.is_active_batch("forms_20260101") and not offline.is_active_batch("typos_20260101")
    assert [b.name for b in online.daily_batches()] == ["forms"]


@pytest.mark.parametrize("name, matches", [
    ("logs", True), ("inbox/new file.csv", True), ("forms_20260101", True), ("answers", True),
    ("answers_20260101", False), ("logs2", False), ("inbox/", False),
])
def test_the_source_pattern_admits_exactly_the_names_records_can_carry(name, matches):
    assert bool(re.match(catalog(True).record_source_pattern(), name)) is matches
    assert catalog(True, inbox=False).record_source_names() == ["logs", "faq", "forms", "answers", "typos"]
