"""Conversations and preference pairs read from the layouts trainers and logs use, and every malformed
conversation quarantined with its own reason."""

from __future__ import annotations

import csv
import json

import pytest
from pydantic import ValidationError

from curation_assets.core.load.readers import load_source
from curation_assets.core.load.settings import FieldMapping, SourceConfig
from curation_assets.core.records import NO_TURNS
from support import assert_balanced, assert_canonical, write_jsonl


def source_config(path, format_: str, fields: dict) -> SourceConfig:
    return SourceConfig(name="chats", path=str(path), format=format_, fields=fields, kind="real", license="CC0-1.0")


OPENAI_CHAT = [
    {"messages": [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": [{"type": "text", "text": "And times 3?"}]},
        {"role": "assistant", "content": "12"},
    ]},
    {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"}]},
]
SHAREGPT = [
    {"id": "a1", "system": "Be kind.", "conversations": [
        {"from": "human", "value": "Name a prime."}, {"from": "gpt", "value": "7"},
        {"from": "human", "value": "A bigger one?"}, {"from": "gpt", "value": "101"},
    ]},
]


def test_openai_messages_become_earlier_turns_plus_the_final_exchange(tmp_path):
    path = write_jsonl(tmp_path / "chat.jsonl", OPENAI_CHAT)
    loaded = load_source(source_config(path, "jsonl", {"conversation": "messages"}), path)

    assert_balanced(loaded)
    assert_canonical(loaded)
    first, second = loaded.records.sort_values("source_position").itertuples(index=False)
    assert (first.instruction, first.response, first.input, first.rejected_response) == ("And times 3?", "12", "", "")
    assert json.loads(first.earlier_turns) == [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
    ]
    assert (second.instruction, second.response, second.earlier_turns) == ("Hi", "Hello! How can I help?", NO_TURNS)


def test_sharegpt_turns_and_a_system_field_load_with_canonical_roles(tmp_path):
    path = write_jsonl(tmp_path / "sharegpt.jsonl", SHAREGPT)
    loaded = load_source(source_config(path, "jsonl", {"conversation": "conversations", "system": "system"}), path)

    assert_balanced(loaded)
    record = loaded.records.iloc[0]
    assert (record.instruction, record.response) == ("A bigger one?", "101")
    assert json.loads(record.earlier_turns) == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Name a prime."},
        {"role": "assistant", "content": "7"},
    ]


@pytest.mark.parametrize(("conversation", "reason", "detail"), [
    pytest.param([{"role": "user", "content": "hi"}, {"role": "narrator", "content": "..."}], "unknown_role",
                 "turn 2 has role 'narrator'", id="unknown_role"),
    pytest.param([], "empty_conversation", "no turns", id="empty"),
    pytest.param([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hey"},
                  {"role": "user", "content": "and?"}], "ends_with_user_turn", "the last of 3 turns is the user's",
                 id="ends_with_user"),
    pytest.param([{"role": "assistant", "content": "I speak first"}], "no_final_user_turn", "follows nothing",
                 id="answer_without_question"),
    pytest.param("just a string", "not_a_conversation", "not turns", id="plain_text"),
    pytest.param([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]},
                  {"role": "assistant", "content": "a cat"}], "non_text_turn", "'image_url' part", id="image"),
])
def test_a_malformed_conversation_is_quarantined_with_its_reason(tmp_path, conversation, reason, detail):
    good = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    path = write_jsonl(tmp_path / "chat.jsonl", [good, {"messages": conversation}])
    loaded = load_source(source_config(path, "jsonl", {"conversation": "messages"}), path)

    assert_balanced(loaded)
    assert len(loaded.records) == 1
    rejection = loaded.rejections.iloc[0]
    assert (rejection.reason, rejection.source_position) == (reason, 2)
    assert detail in rejection.detail
    assert json.loads(rejection.lineage)["raw_excerpt"].startswith("{\"messages\"")  # the reviewer sees the turns


def test_preference_pairs_in_trl_standard_conversational_and_hh_layouts(tmp_path):
    standard = write_jsonl(tmp_path / "dpo.jsonl", [
        {"prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Lyon."},
        {"prompt": "2+2?", "chosen": "4", "rejected": "4"},  # no preference: quarantined
    ])
    conversational = write_jsonl(tmp_path / "dpo_chat.jsonl", [
        {"prompt": [{"role": "user", "content": "Say hi"}],
         "chosen": [{"role": "assistant", "content": "Hi!"}], "rejected": [{"role": "assistant", "content": "No."}]},
    ])
    ultrafeedback = write_jsonl(tmp_path / "uf.jsonl", [
        {"chosen": [{"role": "user", "content": "Sort 3,1,2"}, {"role": "assistant", "content": "1,2,3"}],
         "rejected": [{"role": "user", "content": "Sort 3,1,2"}, {"role": "assistant", "content": "3,2,1"}]},
        {"chosen": [{"role": "user", "content": "A"}, {"role": "assistant", "content": "x"}],
         "rejected": [{"role": "user", "content": "B"}, {"role": "assistant", "content": "y"}]},
    ])
    hh = write_jsonl(tmp_path / "hh.jsonl", [
        {"chosen": "\n\nHuman: Hello\n\nAssistant: Hi there.\n\nHuman: Tell me a joke\n\nAssistant: Why did the chicken...",
         "rejected": "\n\nHuman: Hello\n\nAssistant: Hi there.\n\nHuman: Tell me a joke\n\nAssistant: No."},
    ])
    with_prompt = {"instruction": "prompt", "chosen": "chosen", "rejected": "rejected"}
    pairs = {
        "standard": load_source(source_config(standard, "jsonl", with_prompt), standard),
        "conversational": load_source(source_config(conversational, "jsonl", with_prompt), conversational),
        "ultrafeedback": load_source(source_config(ultrafeedback, "jsonl", {"chosen": "chosen", "rejected": "rejected"}),
                                     ultrafeedback),
        "hh": load_source(source_config(hh, "jsonl", {"chosen": "chosen", "rejected": "rejected"}), hh),
    }
    for loaded in pairs.values():
        assert_balanced(loaded)
        assert_canonical(loaded)
    seen = {name: loaded.records[["instruction", "response", "rejected_response"]].values.tolist()
            for name, loaded in pairs.items()}
    assert seen == {
        "standard": [["Capital of France?", "Paris.", "Lyon."]],
        "conversational": [["Say hi", "Hi!", "No."]],
        "ultrafeedback": [["Sort 3,1,2", "1,2,3", "3,2,1"]],
        "hh": [["Tell me a joke", "Why did the chicken...", "No."]],
    }
    assert json.loads(pairs["hh"].records.iloc[0].earlier_turns) == [
        {"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi there."}]
    assert pairs["standard"].rejections[["reason", "source_position"]].values.tolist() == [["chosen_equals_rejected", 2]]
    assert pairs["ultrafeedback"].rejections["reason"].tolist() == ["pair_prompt_mismatch"]


def test_a_pair_and_a_conversation_differing_only_in_turns_get_different_ids(tmp_path):
    path = write_jsonl(tmp_path / "dpo.jsonl", [
        {"prompt": "p", "chosen": "good", "rejected": "bad"},
        {"prompt": "p", "chosen": "good", "rejected": "worse"},
    ])
    loaded = load_source(source_config(path, "jsonl", {"instruction": "prompt", "chosen": "chosen",
                                                       "rejected": "rejected"}), path)
    assert loaded.records["record_id"].nunique() == 2


@pytest.mark.parametrize(("fields", "message"), [
    ({"chosen": "c"}, "both 'chosen' and 'rejected'"),
    ({"chosen": "c", "rejected": "r", "response": "x"}, "not response"),
    ({"conversation": "messages", "instruction": "q"}, "not instruction"),
    ({"instruction": "q"}, "map response"),
    ({"instruction": "q", "response": "a", "system": "s"}, "'system' goes with"),
])
def test_a_mapping_mixing_shapes_is_a_config_error(fields, message):
    with pytest.raises(ValidationError, match=message):
        FieldMapping(**fields)


def test_turns_stored_as_json_text_in_a_csv_cell_load(tmp_path):
    path = tmp_path / "chats.csv"
    turns = json.dumps([{"role": "user", "content": "Hi, a question"}, {"role": "assistant", "content": "Ask away."}])
    broken = '[{"role": "user"'
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["messages"], [turns], [broken]])
    loaded = load_source(source_config(path, "csv", {"conversation": "messages"}), path)
    assert_balanced(loaded)
    assert loaded.records[["instruction", "response"]].values.tolist() == [["Hi, a question", "Ask away."]]
    assert loaded.rejections["reason"].tolist() == ["not_a_conversation"]
