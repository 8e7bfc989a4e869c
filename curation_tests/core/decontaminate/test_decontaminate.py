"""Benchmark decontamination: n-gram overlap, exact match for short items, and what the rejection says."""

from __future__ import annotations

import json

import pytest

from curation_assets.core.decontaminate.settings import BenchmarkConfig, DecontaminateConfig
from curation_assets.core.decontaminate.decontaminate import BenchmarkError, BenchmarkIndex, decontaminate, read_benchmark

QUESTION = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
            "How many clips did Natalia sell altogether in April and May?")


def write_benchmark(path, items):
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


@pytest.fixture
def index(tmp_path):
    path = write_benchmark(tmp_path / "bench.jsonl", [
        {"question": QUESTION, "answer": "72"},
        {"question": "What is the capital of France?", "answer": "Paris"},
    ])
    config = BenchmarkConfig(name="mini_gsm", path=str(path), format="jsonl", fields=["question", "answer"])
    return BenchmarkIndex.build(read_benchmark(config, path), n=13)


def test_contaminated_records_among_clean_ones_are_dropped_with_benchmark_and_span(make_records, index):
    thirteen_shared = " ".join(QUESTION.split()[:13])  # exactly 13 words in common
    frame = make_records(
        dict(instruction=QUESTION, response="48 / 2 = 24; 48 + 24 = 72."),  # verbatim copy
        dict(instruction="Solve it.", response=f"Here is a similar problem: {thirteen_shared.upper()}!!"),
        dict(instruction=" ".join(QUESTION.split()[:12]) + " then bought stickers."),  # 12 words: clean
        dict(instruction="what is the CAPITAL of france"),  # short item, equal after normalization
        dict(instruction="What is the capital of France and of Spain?"),  # short item inside longer text: clean
        dict(instruction="Name a prime number above 10."),
    )
    result = decontaminate(frame, index, DecontaminateConfig())

    rejected = result.rejected.set_index("source_position")
    assert sorted(rejected.index) == [0, 1, 3]
    assert set(rejected["reason"]) == {"contaminated"}
    assert rejected.loc[0, "detail"] == (
        "benchmark mini_gsm item 1 (question): 13-gram overlap in instruction: 'natalia sold clips to 48 of her "
        "friends in april and then she sold half as many clips in may how many clips did natalia sell altogether "
        "in april and may'")
    assert rejected.loc[1, "detail"].endswith(
        "13-gram overlap in response: 'natalia sold clips to 48 of her friends in april and then she'")
    assert rejected.loc[3, "detail"] == ("benchmark mini_gsm item 2 (question): exact match after normalization "
                                         "in instruction: 'what is the capital of france'")
    assert result.by_benchmark == {"mini_gsm": 3}
    assert result.examples[0]["span"].startswith("natalia sold clips")
    assert sorted(result.kept["source_position"]) == [2, 4, 5]


def test_n_and_compared_fields_are_configurable(make_records, index):
    frame = make_records(dict(instruction="Solve it.", response=QUESTION))
    assert len(decontaminate(frame, index, DecontaminateConfig(fields=["instruction"])).kept) == 1
    assert len(decontaminate(frame, index, DecontaminateConfig(enabled=False)).kept) == 1
    assert len(decontaminate(frame, index, DecontaminateConfig()).kept) == 0


def test_real_gsm8k_items_as_a_benchmark_remove_exactly_their_training_copies(shared_data, tmp_path, make_records):
    lines = (shared_data / "gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()[:600]
    records = [json.loads(line) for line in lines]
    bench = write_benchmark(tmp_path / "gsm_bench.jsonl", records[:40])
    config = BenchmarkConfig(name="gsm_slice", path=str(bench), format="jsonl", fields=["question", "answer"])
    index = BenchmarkIndex.build(read_benchmark(config, bench), n=13)
    frame = make_records(*(dict(instruction=r["question"], response=r["answer"]) for r in records))

    result = decontaminate(frame, index, DecontaminateConfig())
    assert set(range(40)) <= set(result.rejected["source_position"])
    assert len(result.rejected) < 45  # the other 560 problems share no 13-gram with these 40


@pytest.mark.parametrize(("content", "fields", "message"), [
    ('{"question": "q"}\n', ["question", "answer"], "item 1 has no field 'answer'"),
    ('{"question": "q"\n', ["question"], "cannot be read as jsonl"),
    ('{"question": ""}\n', ["question"], "no text in fields question"),
])
def test_a_bad_benchmark_file_fails_naming_the_benchmark_and_problem(tmp_path, content, fields, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    config = BenchmarkConfig(name="bad", path=str(path), format="jsonl", fields=fields)
    with pytest.raises(BenchmarkError, match=f"benchmark 'bad'.*{message}"):
        read_benchmark(config, path)


def test_csv_and_json_benchmarks_are_read(tmp_path):
    csv_path = tmp_path / "b.csv"
    csv_path.write_text("prompt,target\nWhat is 2+2?,4\n", encoding="utf-8")
    texts = read_benchmark(BenchmarkConfig(name="c", path=str(csv_path), format="csv", fields=["prompt"]), csv_path)
    assert [(t.item, t.text) for t in texts] == [(1, "What is 2+2?")]  # data rows count from 1, as for sources
    json_path = tmp_path / "b.json"
    json_path.write_text(json.dumps([{"q": "A?", "choices": ["x", "y"]}]), encoding="utf-8")
    texts = read_benchmark(BenchmarkConfig(name="j", path=str(json_path), format="json", fields=["choices"]), json_path)
    assert texts[0].text == "x\ny"


def test_every_turn_of_a_conversation_and_a_rejected_answer_are_compared(make_records, index):
    from curation_assets.core.load.conversations import turns_json

    frame = make_records(
        dict(instruction="Thanks, and what about June?", response="I cannot say.",
             earlier_turns=turns_json([{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "72"}])),
        dict(instruction="Tell me something.", response="Birds sing at dawn.", rejected_response=QUESTION.upper()),
        dict(instruction="Tell me more.", response="Cats sleep a lot.",
             earlier_turns=turns_json([{"role": "user", "content": "Hello there"}, {"role": "assistant", "content": "Hi"}])),
    )
    result = decontaminate(frame, index, DecontaminateConfig())

    rejected = result.rejected.set_index("source_position")
    assert sorted(rejected.index) == [0, 1]
    assert "in earlier turn 1 (user)" in rejected.loc[0, "detail"]
    assert "in rejected_response" in rejected.loc[1, "detail"]
    assert result.kept["source_position"].tolist() == [2]
