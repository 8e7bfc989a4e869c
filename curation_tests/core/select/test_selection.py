"""Selection for a budget: quotas from targets, best records first within a domain, topic caps, a
reason for every record left out, the same choice for the same input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from curation_assets.core.select.selection import domain_quotas, quality_scores, select
from curation_assets.core.select.settings import SelectionConfig


def _records(domain_sizes: dict[str, int]) -> tuple[pd.DataFrame, pd.Series]:
    rows = [(f"{domain[0]}{n:019d}", f"src_{domain}", domain) for domain, size in domain_sizes.items() for n in range(size)]
    frame = pd.DataFrame(rows, columns=["record_id", "source", "domain"])
    return frame, frame["domain"]


def test_quotas_follow_targets_and_hand_a_short_domains_share_to_the_others():
    assert domain_quotas({"math": 500, "code": 500, "general": 500}, {"math": 0.5, "code": 0.3, "general": 0.2}, 100) == \
        {"math": 50, "code": 30, "general": 20}
    # code has 10 records for a quota of 30: the other 20 go to math and general in proportion (5:2)
    quotas = domain_quotas({"math": 500, "code": 10, "general": 500}, {"math": 0.5, "code": 0.3, "general": 0.2}, 100)
    assert quotas["code"] == 10 and sum(quotas.values()) == 100 and quotas["math"] > quotas["general"]
    assert domain_quotas({"math": 3, "code": 2}, {"math": 0.5, "code": 0.5}, 1000) == {"math": 3, "code": 2}


def test_the_best_records_are_chosen_within_quotas_and_topic_caps_with_a_reason_for_the_rest():
    records, domains = _records({"math": 200, "code": 200})
    rng = np.random.default_rng(0)
    scores = np.round(rng.random(len(records)), 6)
    clusters = np.where(np.arange(len(records)) % 2 == 0, 0, rng.integers(1, 8, len(records)))
    settings = SelectionConfig(budget=100, max_cluster_share=0.25)
    chosen = select(records, domains, clusters, scores, settings, {"math": 0.7, "code": 0.3})

    rows = chosen.rows
    assert int(rows["selected"].sum()) == 100 and chosen.achieved() == {"code": 0.3, "math": 0.7}
    for domain, quota in chosen.quotas.items():
        picked = rows[rows["selected"] & (rows["domain"] == domain)]
        assert (picked["cluster"] == 0).sum() <= np.ceil(0.25 * quota)  # cluster 0 holds half of each domain
        # every record left out below the quota scores no higher than the worst one picked outside capped clusters
        below = rows[(rows["domain"] == domain) & (rows["reason"] == "below_quota")]
        assert below["score"].max() <= picked["score"].max()
    assert set(rows.loc[~rows["selected"], "reason"]) == {"below_quota", "cluster_cap"}
    assert rows.loc[rows["selected"], "rank"].sort_values().tolist() == list(range(1, 101))
    best_first = rows[rows["selected"]].sort_values("rank")["score"].to_numpy()
    assert (np.diff(best_first) <= 0).all()
    again = select(records.sample(frac=1, random_state=1).sort_index(), domains, clusters, scores, settings,
                   {"math": 0.7, "code": 0.3})
    pd.testing.assert_frame_equal(again.rows, rows)


def test_a_budget_larger_than_train_selects_everything_and_says_so():
    records, domains = _records({"math": 5, "code": 3})
    chosen = select(records, domains, np.zeros(8, dtype=int), np.linspace(0, 1, 8), SelectionConfig(budget=50), {})
    assert chosen.rows["selected"].all()
    assert "budget 50 ≥ train's 8 records: every record selected" in chosen.notes


def test_quality_scores_weigh_judge_length_kind_and_repetition():
    frame = pd.DataFrame({"kind": ["real", "synthetic", "synthetic"], "response": [
        "A full answer with many different words explaining the steps one by one in order",
        "ok ok ok ok ok ok ok ok ok ok", "A full answer with many different words explaining the steps one by one in order"]})
    scores = quality_scores(frame, pd.Series([np.nan, 2.0, 5.0]), SelectionConfig(budget=1, target_words=10))
    assert scores[0] > scores[2] > scores[1]  # real and substantive, then judged 5 of 5, then a repeated word
    with pytest.raises(ValueError, match="adding up to 1"):
        SelectionConfig(budget=1, domain_targets={"math": 0.5})


def test_a_budget_in_tokens_fills_each_domains_token_quota_without_passing_it():
    records, domains = _records({"math": 100, "code": 100})
    rng = np.random.default_rng(1)
    tokens = rng.integers(20, 400, len(records))
    settings = SelectionConfig(budget_tokens=5_000, max_cluster_share=1.0)
    chosen = select(records, domains, np.zeros(len(records), dtype=int), np.round(rng.random(len(records)), 6),
                    settings, {"math": 0.6, "code": 0.4}, tokens)
    picked = chosen.rows[chosen.rows["selected"]]
    assert chosen.quotas == {"math": 3000, "code": 2000}
    for domain, quota in chosen.quotas.items():
        used = int(picked.loc[picked["domain"] == domain, "size"].sum())
        assert quota - 400 < used <= quota  # filled to within one record's tokens, never past it
    assert abs(chosen.achieved()["math"] - 0.6) <= 0.02
    with pytest.raises(ValueError, match="one budget"):
        SelectionConfig(budget=10, budget_tokens=10)
