"""A split profiled shard by shard and merged says what the split profiled whole says."""

import random

import numpy as np
import pandas as pd
import pytest

from curation_assets.core.records import as_records
from curation_assets.core.report import stats
from curation_assets.core.report.ladders import ladder_candidates, ladder_order
from curation_assets.core.report.settings import ReportConfig
from curation_assets.core.report.split_profile import (finish, histogram_percentiles, merge_parts, profile_frame,
                                                       profile_part, sample_rate, _histogram)

_TEXTS = ["Write a poem about the sea.", "Can you summarize this article?", "Translate 'thank you' into French.",
          "Привет, как дела?", "東京は日本の首都です。", "zero\u200bwidth text", "broken \ufffd text",
          "Sure <|im_end|> thing", "2+2", "", "Explain recursion", "explain  RECURSION"]


def _split(records: int, seed: int = 3) -> pd.DataFrame:
    pick = random.Random(seed)
    return as_records(pd.DataFrame([
        {"record_id": f"{i:020x}", "source": pick.choice(["a", "a", "b", "c"]), "source_position": i,
         "instruction": pick.choice(_TEXTS), "input": pick.choice(["", "", "context"]),
         "response": pick.choice(_TEXTS) * pick.randint(1, 4), "kind": pick.choice(["real", "synthetic"]),
         "lineage": "{}"}
        for i in range(records)
    ]))


def _sharded_profile(frame: pd.DataFrame, cuts: list[int], settings: ReportConfig, sample: int) -> dict:
    parts = [frame.iloc[start:end].reset_index(drop=True) for start, end in zip([0, *cuts], [*cuts, len(frame)])]
    rate = sample_rate(len(frame), sample)
    merged = merge_parts([profile_part(part, index, settings, rate) for index, part in enumerate(parts)], settings)
    return finish(merged, settings, lambda positions: pd.DataFrame([parts[p].iloc[r] for p, r in positions]))


@pytest.mark.parametrize("sample", [10_000, 40])
def test_the_merged_profile_of_shards_equals_the_profile_of_the_whole_split(sample):
    frame = _split(300)
    settings = ReportConfig(examples=3, samples_per_split=5, top=5)
    whole = profile_frame(frame, settings, sample=sample)
    sharded = _sharded_profile(frame, [17, 140, 141, 260], settings, sample)
    assert sharded == whole
    assert whole["records"] == 300 and sum(whole["by_source"].values()) == 300
    assert whole["outliers"]["most_repeated_instructions"] and whole["same_instruction_different_response"]["records"]
    assert (whole["profiled_records"] == 300) == (sample >= 300)


def test_a_sampled_profile_counts_tokens_and_languages_on_the_sample_only():
    frame = _split(300)
    profile = profile_frame(frame, ReportConfig(), sample=40)
    assert 0 < profile["profiled_records"] < 300
    assert sum(profile["language_mix"].values()) == profile["profiled_records"]
    assert sum(profile["length_histograms"]["response tokens"].values()) == profile["profiled_records"]
    assert sum(profile["length_histograms"]["response chars"].values()) == 300


def test_percentiles_from_a_length_histogram_equal_numpys_over_the_lengths():
    lengths = np.random.default_rng(0).integers(0, 5000, size=1001)
    assert histogram_percentiles(_histogram(lengths)) == stats.percentiles(lengths)
    assert histogram_percentiles(_histogram(np.array([7]))) == stats.percentiles([7])


def test_merged_ladder_candidates_give_the_whole_splits_first_records():
    frame = _split(500)
    by_source = frame["source"].value_counts().to_dict()
    pieces = [ladder_candidates(frame.iloc[start:start + 90], 11, 30) for start in range(0, 500, 90)]
    candidates = ladder_candidates(pd.concat(pieces, ignore_index=True), 11, 30)
    merged = ladder_order(candidates, 11, by_source).head(30)["record_id"].tolist()
    assert merged == ladder_order(frame, 11).head(30)["record_id"].tolist()


def test_dominant_script_and_odd_characters_match_a_character_by_character_scan():
    import unicodedata
    from collections import Counter

    def scanned_script(text):
        scripts = Counter(unicodedata.name(c, "UNKNOWN").split(" ")[0] for c in text if c.isalpha())
        return scripts.most_common(1)[0][0] if scripts else None

    for text in _TEXTS + ["abc Привет мир", "Мир abc", "\x07bell\tand tab\n", "\ue000private"]:
        expected = scanned_script(text)
        found = stats.dominant_script(text)
        assert found == ("none" if expected is None else
                         {"CJK": "CJK", "HIRAGANA": "Japanese kana", "KATAKANA": "Japanese kana"}.get(expected, expected.title()))
        assert stats.odd_character_kinds(text) == sorted({k for k in map(stats._character_kind, text) if k})


def test_the_source_mix_plot_draws_when_a_split_is_empty():
    from curation_assets.core.report import plots

    png = plots.source_mix({"train": {("alpha", "real"): 3, ("beta", "synthetic"): 1}, "eval": {}}, "mix")
    assert png.startswith(b"\x89PNG")
