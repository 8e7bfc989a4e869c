"""Training-file formats: OpenAI chat, ShareGPT, Alpaca and prompt-completion lines led by id and source,
byte-identical files whatever the row order, and their Parquet twins."""

from __future__ import annotations

import json

import pytest

from curation_assets.core.export.formats import training_lines, write_jsonl


@pytest.fixture
def export_frame(make_records):
    return make_records(
        dict(index=2, instruction="Translate to French.", input="Good morning", response="Bonjour"),
        dict(index=1, instruction="Say hello.", input="", response="Hello! \u00e9t\u00e9 \u2603"),
    )


def test_openai_chat_lines_include_the_system_prompt_and_append_input_to_the_user_message(export_frame):
    lines = list(training_lines(export_frame, "openai_chat", system_prompt="You are concise."))
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    examples = [json.loads(line) for line in lines]
    assert [(example.pop("id"), example.pop("source")) for example in examples] == [
        (export_frame["record_id"].iloc[1], "alpha"), (export_frame["record_id"].iloc[0], "alpha")]
    assert examples == [
        {"messages": [
            {"role": "system", "content": "You are concise."},
            {"role": "user", "content": "Say hello."},
            {"role": "assistant", "content": "Hello! \u00e9t\u00e9 \u2603"},
        ]},
        {"messages": [
            {"role": "system", "content": "You are concise."},
            {"role": "user", "content": "Translate to French.\n\nGood morning"},
            {"role": "assistant", "content": "Bonjour"},
        ]},
    ]
    assert "\u00e9t\u00e9 \u2603" in lines[0]  # UTF-8 text, not \u escapes


def test_openai_chat_lines_have_no_system_message_without_a_prompt(export_frame):
    for prompt in (None, ""):
        examples = [json.loads(line) for line in training_lines(export_frame, "openai_chat", system_prompt=prompt)]
        assert [[m["role"] for m in example["messages"]] for example in examples] == [["user", "assistant"]] * 2


def test_alpaca_lines_have_id_source_instruction_input_output_system_history_in_that_order(export_frame):
    lines = list(training_lines(export_frame, "alpaca"))
    record_id = export_frame["record_id"].iloc[0]
    assert lines[1] == (f'{{"id": "{record_id}", "source": "alpha", "instruction": "Translate to French.", '
                        '"input": "Good morning", "output": "Bonjour", "system": "", "history": []}\n')
    assert list(json.loads(lines[0])) == ["id", "source", "instruction", "input", "output", "system", "history"]


def test_sharegpt_and_prompt_completion_layouts(export_frame):
    sharegpt = json.loads(list(training_lines(export_frame, "sharegpt", system_prompt="Be brief."))[1])
    assert sharegpt["conversations"] == [{"from": "system", "value": "Be brief."},
                                         {"from": "human", "value": "Translate to French.\n\nGood morning"},
                                         {"from": "gpt", "value": "Bonjour"}]
    completion = json.loads(list(training_lines(export_frame, "prompt_completion"))[1])
    assert {key: completion[key] for key in ("prompt", "completion")} == {
        "prompt": "Translate to French.\n\nGood morning", "completion": "Bonjour"}


def test_parquet_twins_hold_the_same_examples_in_the_formats_schema(export_frame, tmp_path):
    import pyarrow.parquet as pq

    from curation_assets.core.export.formats import EXPORT_FORMATS, training_examples, write_parquet_atomically

    for format_ in EXPORT_FORMATS:
        examples = training_examples(export_frame, format_, "sys")
        path = tmp_path / f"{format_}.parquet"
        write_parquet_atomically(examples, format_, path)
        assert pq.read_table(path).to_pylist() == examples, format_
        assert not list(tmp_path.glob("*.partial"))


def test_training_files_are_byte_identical_regardless_of_input_row_order(make_records, tmp_path):
    frame = make_records(*(dict(instruction=f"Q{i} \u00fc", input=str(i % 3), response=f"A{i}") for i in range(50)))
    shuffled = frame.sample(frac=1, random_state=7).reset_index(drop=True)
    for format_ in ("openai_chat", "sharegpt", "alpaca", "prompt_completion"):
        first, second = tmp_path / f"{format_}_1.jsonl", tmp_path / f"{format_}_2.jsonl"
        assert write_jsonl(training_lines(frame, format_, "sys"), first) == 50
        assert write_jsonl(training_lines(shuffled, format_, "sys"), second) == 50
        assert first.read_bytes() == second.read_bytes()
        assert b"\r" not in first.read_bytes()


def test_unknown_export_format_is_an_error(export_frame):
    with pytest.raises(ValueError, match="unknown export format 'vicuna'"):
        list(training_lines(export_frame, "vicuna"))


def test_a_conversation_and_a_pair_in_every_format(make_records):
    from curation_assets.core.load.conversations import turns_json

    earlier = turns_json([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                          {"role": "assistant", "content": "Hello."}, {"role": "tool", "content": "22C"}])
    frame = make_records(
        dict(index=1, instruction="Weather?", response="Warm, 22C.", earlier_turns=earlier),
        dict(index=2, instruction="2+2?", response="4", rejected_response="5"),
    )
    examples = {format_: [json.loads(line) for line in training_lines(frame, format_, system_prompt="Default.")]
                for format_ in ("openai_chat", "sharegpt", "alpaca", "prompt_completion", "preference")}

    chat, pair = examples["openai_chat"]
    assert chat["messages"] == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."}, {"role": "tool", "content": "22C"},
        {"role": "user", "content": "Weather?"}, {"role": "assistant", "content": "Warm, 22C."}]
    assert pair["messages"][-1] == {"role": "assistant", "content": "4"}  # SFT formats train on the chosen answer
    assert [turn["from"] for turn in examples["sharegpt"][0]["conversations"]] == [
        "system", "human", "gpt", "tool", "human", "gpt"]
    alpaca = examples["alpaca"][0]
    assert (alpaca["system"], alpaca["history"], alpaca["instruction"]) == (
        "Be brief.", [["Hi", "Hello."]], "[tool] 22C\n\nWeather?")
    assert examples["alpaca"][1]["system"] == "Default."
    assert examples["prompt_completion"][0]["prompt"] == (
        "System: Be brief.\n\nUser: Hi\n\nAssistant: Hello.\n\nTool: 22C\n\nUser: Weather?\n\nAssistant:")
    # the preference format holds the pairs only, in TRL's conversational layout
    assert examples["preference"] == [{
        "id": frame["record_id"].iloc[1], "source": "alpha",
        "prompt": [{"role": "system", "content": "Default."}, {"role": "user", "content": "2+2?"}],
        "chosen": [{"role": "assistant", "content": "4"}], "rejected": [{"role": "assistant", "content": "5"}]}]
