"""The keys: the response's words and the normalized fields, with byte-level paths for ASCII text
(one per text, one compiled per batch) that must agree with ``tokens.words`` and ``normalize_text``
on every input."""

from __future__ import annotations

import hashlib
import random
import string

import pandas as pd

from curation_assets.core.dedup.keys import PROMPT_FIELDS, digest, record_keys, words_key
from curation_assets.core.records import normalize_text
from curation_assets.core.text import ascii_keys
from curation_assets.core.text.tokens import words


def _reference(text: str) -> tuple[str, int]:
    found = words(text)
    return digest(" ".join(found)), len(found)


def test_ascii_fast_path_agrees_with_the_word_definition_on_random_ascii():
    rng = random.Random(3)
    alphabet = string.printable + "\x00\x01\x1f\x7f_"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(5000)]
    joined, counts = ascii_keys.words(texts)
    for text, found, count in zip(texts, joined, counts):
        assert (hashlib.sha256(found).hexdigest()[:24], int(count)) == _reference(text), repr(text)


def test_case_punctuation_spacing_and_underscores_do_not_change_the_key():
    assert words_key("The  answer, is 42!")[0] == words_key("the answer\tIS 42")[0]
    assert words_key("snake_case") == words_key("snake case")
    assert words_key("") == (digest(""), 0)
    assert words_key("answer 42") != words_key("answer 43")


def test_non_ascii_text_takes_the_unicode_definition():
    for text in ["Héllo wörld", "ＨＥＬＬＯ world", "日本語のテキスト", "naïve café"]:
        assert words_key(text) == _reference(text)
    assert words_key("ＨＥＬＬＯ world")[0] == words_key("hello world")[0]


def _reference_keys(frame: pd.DataFrame, exact_fields: list[str]) -> pd.DataFrame:
    """Every key by its per-text definition."""
    def joined(row, fields):
        return digest("\x1f".join(normalize_text(row[field]) for field in fields))

    rows = [{"content_key": joined(row, exact_fields), "prompt_key": joined(row, PROMPT_FIELDS),
             "response_key": _reference(row["response"])[0], "response_tokens": _reference(row["response"])[1]}
            for row in frame.to_dict("records")]
    return pd.DataFrame(rows, index=pd.Index(frame["record_id"], name="record_id"))


def _random_text(rng: random.Random) -> str:
    alphabet = string.printable + "\x00\x01\x1c\x1d\x1e\x1f\x7f_\x0b\x0c" + "é’–\u00a0\u2028ＡＢ日本"
    ascii_only = rng.random() < 0.7
    pool = string.printable + "\x00\x1c\x1f\x7f\x0b\x0c" if ascii_only else alphabet
    return "".join(rng.choice(pool) for _ in range(rng.randint(0, 60)))


def test_batch_keys_equal_the_per_text_definitions_on_mixed_ascii_and_unicode_records():
    rng = random.Random(7)
    records = [{"record_id": f"{index:020x}", "instruction": _random_text(rng), "input": _random_text(rng),
                "response": _random_text(rng)} for index in range(3000)]
    records += [{"record_id": "f" * 20, "instruction": "", "input": "", "response": ""},
                {"record_id": "e" * 20, "instruction": "  \t\n ", "input": "\x1f", "response": " \x1c\x1d "},
                {"record_id": "d" * 20, "instruction": "UPPER  lower\r\nMiXeD", "input": "x", "response": "A_B c-d"}]
    frame = pd.DataFrame(records)
    for exact_fields in (["instruction", "input", "response"], ["instruction", "response"]):
        pd.testing.assert_frame_equal(record_keys(frame, exact_fields), _reference_keys(frame, exact_fields),
                                      check_dtype=False)


def test_batch_keys_equal_the_per_text_definitions_on_the_shared_data(shared_data):
    import json

    tasks = json.loads((shared_data / "gpteacher_toolformer.json").read_text(encoding="utf-8"))[:2000]
    frame = pd.DataFrame([{"record_id": f"{index:020x}", "instruction": str(task.get("instruction", "")),
                           "input": str(task.get("input", "")), "response": str(task.get("output", ""))}
                          for index, task in enumerate(tasks)])
    assert frame["response"].str.len().gt(0).mean() > 0.9  # the fields are the dataset's
    pd.testing.assert_frame_equal(record_keys(frame, ["instruction", "input", "response"]),
                                  _reference_keys(frame, ["instruction", "input", "response"]), check_dtype=False)
