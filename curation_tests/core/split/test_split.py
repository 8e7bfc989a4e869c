"""The train/eval split: deterministic per seed, no instruction on both sides, the eval fraction honoured."""

from __future__ import annotations

import pandas as pd

import pyarrow as pa
import pytest

from curation_assets.core.records import normalize_text
from curation_assets.core.split.leakage import NORMALIZED, connect_with_normalize_text, instructions_in_both_files
from curation_assets.core.split.settings import SplitConfig
from curation_assets.core.split.split import split_records, split_shard
from support import ids


def many_records(make_records, count: int, instruction=lambda i: f"Task {i}: describe item {i * 7919 % 10007}."):
    return make_records(*(dict(instruction=instruction(i)) for i in range(count)))


def test_split_is_deterministic_across_calls(make_records):
    frame = many_records(make_records, 300)
    first = split_records(frame, 0.3, seed=0)
    second = split_records(frame.sample(frac=1, random_state=1), 0.3, seed=0)
    pd.testing.assert_frame_equal(first["train"], second["train"])
    pd.testing.assert_frame_equal(first["eval"], second["eval"])
    assert first["train"]["record_id"].is_monotonic_increasing
    assert sorted(ids(first["train"]) + ids(first["eval"])) == ids(frame)


def test_no_instruction_is_in_both_splits_even_when_it_differs_only_by_case_or_whitespace(make_records, tmp_path):
    variants = [lambda text: text, str.upper, lambda text: f"  {text}\n", lambda text: text.replace(" ", "\t  ")]
    frame = make_records(*(
        dict(instruction=variants[v](f"explain topic number {group}"), response=f"answer {v}", group=group)
        for group in range(200) for v in range(len(variants))
    ))
    groups = pd.Series([group for group in range(200) for _ in variants], index=frame["record_id"])
    parts = split_records(frame, 0.5, seed=3)

    assert instructions_in_both_files(*_as_files(tmp_path, parts["train"], parts["eval"])) == (0, [])
    split_of_record = {**dict.fromkeys(parts["train"]["record_id"], "train"),
                       **dict.fromkeys(parts["eval"]["record_id"], "eval")}
    splits_per_group = groups.index.map(split_of_record).to_series(index=groups.values).groupby(level=0).nunique()
    assert (splits_per_group == 1).all()
    assert 0 < len(parts["eval"]) < len(frame)  # both splits are used, so the check above means something


def test_eval_fraction_is_roughly_honoured_on_two_thousand_records(make_records):
    frame = many_records(make_records, 2000)
    for fraction in (0.05, 0.2, 0.5):
        size = len(split_records(frame, fraction, seed=0)["eval"])
        expected = 2000 * fraction
        sigma = (2000 * fraction * (1 - fraction)) ** 0.5
        assert abs(size - expected) < 4 * sigma, (fraction, size)
    assert len(split_records(frame, 0.0, seed=0)["eval"]) == 0


def test_another_seed_changes_the_assignment(make_records):
    frame = many_records(make_records, 500)
    seed_0 = set(split_records(frame, 0.2, seed=0)["eval"]["record_id"])
    seed_1 = set(split_records(frame, 0.2, seed=1)["eval"]["record_id"])
    assert seed_0 != seed_1
    assert seed_0 & seed_1 != seed_0  # not merely a superset/subset shuffle: different records


def _as_files(folder, *frames) -> list[list[str]]:
    paths = []
    for number, frame in enumerate(frames):
        path = folder / f"part-{number}.parquet"
        frame.to_parquet(path)
        paths.append([str(path)])
    return paths


def test_the_leakage_check_reports_normalized_instructions_found_in_both_split_files(make_records, tmp_path):
    train = make_records(dict(instruction="What is DNS?"), dict(instruction="Straße  ÜBER"), dict(instruction="Other"))
    eval_ = make_records(dict(index=5, instruction="  what is   dns? "), dict(index=6, instruction="strasse über"))
    assert instructions_in_both_files(*_as_files(tmp_path, train, eval_)) == \
        (2, sorted([normalize_text("What is DNS?"), normalize_text("Straße ÜBER")]))
    assert instructions_in_both_files(*_as_files(tmp_path, train.iloc[2:], eval_)) == (0, [])


@pytest.mark.parametrize("text", [
    "  A\tB\x0bC\x0cD\rE\x1cF\x1d\x1e\x1fG  ", "MiXeD   Case\n\n", "", " ", "plain ascii, punctuation!?",
    "Straße", "ＡＢＣ", "\u00a0x\u2003y ", "ǅ", "x\x85y", "İstanbul", "ﬁle", "Ὀδυσσεύς", "e\u0301",
])
def test_the_leakage_checks_sql_normalization_is_normalize_text(text):
    with connect_with_normalize_text() as connection:
        connection.register("texts", pa.table({"instruction": [text]}))
        assert connection.execute(f"SELECT {NORMALIZED} FROM texts").fetchall() == [(normalize_text(text),)]


def test_a_shard_splits_alone_as_the_whole_table_does(make_records):
    frame = many_records(make_records, 400)
    settings = SplitConfig(eval_fraction=0.3, seed=2)
    whole = split_records(frame, settings.eval_fraction, settings.seed)
    halves = [split_shard(half, settings)[0] for half in (frame.iloc[:200], frame.iloc[200:])]
    for name in ("train", "eval"):
        assert sorted(ids(halves[0][name]) + ids(halves[1][name])) == ids(whole[name])
    assert all(half["rejected"].empty for half in halves)
