"""Statistics, the drop funnel, the ladder and the data card, on the demo and on the public datasets."""

import json

import pytest

from support import query

pytestmark = [pytest.mark.slow]


def test_report_checks_pass_and_the_pipeline_balances_end_to_end(demo_run):
    result, _ = demo_run
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    balance = evaluations[("statistics", "pipeline_balances")]
    assert balance.passed
    assert balance.metadata["entered_combined"].value == (
        balance.metadata["exported"].value + balance.metadata["rejected_after_combine"].value)
    assert evaluations[("ladder", "rungs_nested_with_source_mix")].passed
    assert evaluations[("data_card", "card_has_every_section")].passed


def test_statistics_table_profiles_every_stage(demo_run):
    _, folder = demo_run
    tables = {row[0] for row in query(folder / "warehouse.duckdb", "SELECT DISTINCT table_name FROM main.statistics")}
    assert {"combined", "deduplicated", "cleaned", "train", "eval", "raw_support_logs"} <= tables
    median = query(folder / "warehouse.duckdb",
                   "SELECT response_chars_p50 FROM main.statistics WHERE table_name = 'train' AND source = 'faq_export'")
    assert 40 < median[0][0] < 120


def test_ladder_rungs_are_nested_and_keep_the_source_mix(demo_run):
    _, folder = demo_run
    rungs = {}
    for path in sorted((folder / "exports" / "ladder").glob("train_*.jsonl")):
        size = int(path.stem.split("_")[1])
        rungs[size] = [line for line in path.read_text(encoding="utf-8").splitlines()]
    sizes = sorted(rungs)
    assert sizes[0] == 100 and len(rungs[sizes[-1]]) == query(folder / "warehouse.duckdb", "SELECT count(*) FROM main.train")[0][0]
    for smaller, larger in zip(sizes, sizes[1:]):
        assert set(rungs[smaller]) <= set(rungs[larger])
    mix = {json.loads(row[0])["support_logs"] / row[1]
           for row in query(folder / "warehouse.duckdb", "SELECT by_source, records FROM main.ladder")}
    assert max(mix) - min(mix) < 0.02


def test_data_card_is_self_contained_with_plots_funnel_and_samples(demo_run):
    _, folder = demo_run
    html = (folder / "exports" / "data_card.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 7  # six plots and the topic map
    assert "src=\"http" not in html and "<script" not in html  # nothing to fetch: it opens offline
    for text in ("proprietary (demo user logs)", "malformed_json", "exact_duplicate", "empty_response",
                 "Split: train", "Split: eval", "synthetic %", "Topic coverage"):
        assert text in html, text
    assert len(list((folder / "exports" / "plots").glob("*.png"))) == 7


def test_shared_data_report_has_real_statistics(shared_data_run):
    result, folder = shared_data_run
    assert result.success
    materialization = {m.asset_key.to_user_string(): m for m in result.get_asset_materialization_events()}
    metadata = materialization["data_card"].materialization.metadata
    openings = metadata["train_opening_words"].value
    assert "toolformer enabled" in openings  # the boilerplate preamble shows up as the top opening
    lengths = metadata["train_lengths"].value
    assert lengths["response"]["tokens"]["p50"] > 20
    assert (folder / "exports" / "data_card.html").stat().st_size > 50_000
