"""Exact dedup, cleaning, splitting, training-file formats and id reconciliation."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from curation_assets.core.clean.settings import CleanConfig
from curation_assets.core.clean.stage import clean_records
from curation_assets.core.dedup.exact import exact_dedup
from curation_assets.core.export.formats import training_lines, write_jsonl
from curation_assets.core.reconcile import reconcile_ids
from curation_assets.core.records import RECORD_COLUMNS, REJECTION_COLUMNS, normalize_text
from curation_assets.core.split.split import instructions_in_both, split_records

ALL_FIELDS = ["instruction", "input", "response"]
SOURCE_ORDER = ["alpha", "beta", "gamma"]


def rank(name: str) -> int:
    return SOURCE_ORDER.index(name)


def ids(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["record_id"])


def rid(index: int) -> str:
    return f"{index:020x}"


# --- exact_dedup ------------------------------------------------------------------------------------


def test_duplicates_equal_after_nfkc_case_and_whitespace_are_dropped(make_records):
    frame = make_records(
        dict(instruction="Hello  World", response="Fine, thanks."),
        dict(instruction="hello world", response="fine, THANKS."),
        dict(instruction="\uff28\uff45\uff4c\uff4c\uff4f World", response="Fine,\tthanks.\n"),  # fullwidth 'Hello'
        dict(instruction="HELLO\nWORLD ", response=" Fine, thanks."),
        dict(instruction="Hello, World", response="Fine, thanks."),  # punctuation differs: not a duplicate
    )
    result = exact_dedup(frame, ALL_FIELDS, rank)

    assert ids(result.kept) == [rid(0), rid(4)]
    assert ids(result.rejected) == [rid(1), rid(2), rid(3)]
    assert tuple(result.kept.columns) == RECORD_COLUMNS
    assert tuple(result.rejected.columns) == REJECTION_COLUMNS
    assert set(result.rejected["stage"]) == {"dedup"}


def test_dedup_compares_only_the_configured_fields(make_records):
    frame = make_records(
        dict(instruction="Name a colour.", response="Red."),
        dict(instruction="name a colour.", response="Blue."),
    )
    assert len(exact_dedup(frame, ALL_FIELDS, rank).kept) == 2
    by_instruction = exact_dedup(frame, ["instruction"], rank)
    assert ids(by_instruction.kept) == [rid(0)]
    assert by_instruction.rejected["detail"].iloc[0] == f"duplicate of {rid(0)} after normalization of instruction"


def test_keep_rule_prefers_real_then_earlier_listed_source_then_earliest_position(make_records):
    # In each group the row that must survive comes last in the frame, so row order cannot explain it.
    frame = make_records(
        # group A: synthetic from the first-listed source vs real from a later one -> real wins
        dict(index=10, instruction="A", source="alpha", source_position=0, kind="synthetic"),
        dict(index=11, instruction="A", source="gamma", source_position=99, kind="real"),
        # group B: both real, beta before alpha in the frame -> alpha (listed first) wins
        dict(index=20, instruction="B", source="beta", source_position=0),
        dict(index=21, instruction="B", source="alpha", source_position=50),
        # group C: same source -> earliest position wins
        dict(index=30, instruction="C", source="beta", source_position=7),
        dict(index=31, instruction="C", source="beta", source_position=3),
    )
    frame["response"] = "same answer"
    result = exact_dedup(frame, ALL_FIELDS, rank)

    assert ids(result.kept) == [rid(11), rid(21), rid(31)]
    assert ids(result.rejected) == [rid(10), rid(20), rid(30)]


def test_every_dropped_duplicate_has_reason_exact_duplicate_naming_its_representative(make_records):
    frame = make_records(
        dict(index=5, instruction="Same", response="same", source_position=9),
        dict(index=6, instruction="SAME", response="Same", source_position=2),  # representative of group 1
        dict(index=7, instruction=" same ", response="same", source_position=4),
        dict(index=8, instruction="Other", response="x", source_position=1),  # representative of group 2
        dict(index=9, instruction="other", response="X", source_position=3),
        dict(index=1, instruction="Unique", response="u"),
    )
    result = exact_dedup(frame, ALL_FIELDS, rank)

    assert ids(result.kept) == [rid(1), rid(6), rid(8)]
    rejected = result.rejected.set_index("record_id")
    assert (rejected["reason"] == "exact_duplicate").all()
    suffix = " after normalization of instruction+input+response"
    assert rejected.loc[rid(5), "detail"] == f"duplicate of {rid(6)}{suffix}"
    assert rejected.loc[rid(7), "detail"] == f"duplicate of {rid(6)}{suffix}"
    assert rejected.loc[rid(9), "detail"] == f"duplicate of {rid(8)}{suffix}"
    # nothing lost, nothing invented
    assert sorted(ids(result.kept) + ids(result.rejected)) == ids(frame)


# --- clean_records ------------------------------------------------------------------------------------


def clean_one(make_records, settings: CleanConfig | None = None, **fields):
    result = clean_records(make_records(dict(**fields)), settings or CleanConfig())
    return result


def test_html_is_stripped_and_list_items_become_dash_lines(make_records):
    result = clean_one(
        make_records,
        instruction="<p>List the <b>primary</b> colours.</p>",
        response="<p>They are:</p><ul><li>red</li><li>yellow</li><li>blue</li></ul>",
    )
    row = result.kept.iloc[0]
    assert row["instruction"] == "List the primary colours."
    assert row["response"] == "They are:\n\n- red\n- yellow\n- blue"


def test_pre_code_keeps_its_four_space_indentation(make_records):
    code = "def total(items):\n    result = 0\n    for item in items:\n        result += item\n    return result"
    result = clean_one(make_records, instruction="Show a sum function.", response=f"<p>Here:</p><pre>{code}</pre>")
    assert result.kept.iloc[0]["response"] == f"Here:\n\n{code}"


def test_pre_code_keeps_its_two_space_indentation(make_records):
    # BUG (curation_assets/core/html_text.py, html_to_text): every line not starting with four spaces is
    # .strip(" ")-ed after parsing, so <pre> code indented by two spaces (JS, YAML, Ruby...) is flattened.
    code = "function total(items) {\n  let sum = 0;\n  for (const item of items) {\n    sum += item;\n  }\n  return sum;\n}"
    result = clean_one(make_records, instruction="Show a sum function.", response=f"<pre><code>{code}</code></pre>")
    assert result.kept.iloc[0]["response"] == code


def test_html_entities_are_decoded_exactly_once(make_records):
    # BUG (curation_assets/core/html_text.py, html_to_text): the parser already decodes entities
    # (convert_charrefs=True) and html.unescape() runs again on the result, so "&amp;lt;" becomes "<"
    # instead of the literal text "&lt;" the author wrote.
    result = clean_one(
        make_records,
        instruction="<p>How do I show a less-than sign in HTML?</p>",
        response="<p>Write &amp;lt; in the source; the browser shows &lt;.</p>",
    )
    assert result.kept.iloc[0]["response"] == "Write &lt; in the source; the browser shows <."


def test_prose_with_angle_brackets_is_not_treated_as_html(make_records):
    instruction = "Is it true that 3 < 5 and 7 > 2?"
    response = "Yes. In code, `a<b` compares too; x <= y -> z, and <3 is a heart."
    result = clean_one(make_records, instruction=instruction, response=response)
    row = result.kept.iloc[0]
    assert row["instruction"] == instruction
    assert row["response"] == response
    assert "clean" not in json.loads(row["lineage"])  # nothing was rewritten


def test_code_comparisons_are_not_treated_as_html_tags(make_records):
    # BUG (curation_assets/core/html_text.py, _HTML_TAG / contains_html): "<b && b>" matches the tag
    # pattern (tag name "b", attributes "&& b"), so the comparison is parsed as a <b> tag and deleted:
    # "if (a<b && b>c) return a;" becomes "if (ac) return a;".
    response = "if (a<b && b>c) return a;"
    result = clean_one(make_records, instruction="What does this line do?", response=response)
    assert result.kept.iloc[0]["response"] == response


def test_control_and_zero_width_characters_are_removed_but_tabs_and_newlines_kept(make_records):
    result = clean_one(
        make_records,
        instruction="\ufeffSum\u200b these\x07 numbers\u00a0now\r\n",
        input="1\t2\r\n3\u2060\x00",
        response="Done.  \n\n\n\nTotal:\t6",
    )
    row = result.kept.iloc[0]
    assert row["instruction"] == "Sum these numbers now"
    assert row["input"] == "1\t2\n3"
    assert row["response"] == "Done.\n\nTotal:\t6"


def test_empty_instruction_and_response_are_rejected_with_reasons(make_records):
    frame = make_records(
        dict(instruction="   \n\t", response="An answer."),
        dict(instruction="A question?", response="<p></p>"),
        dict(instruction="\u200b", response=""),
        dict(instruction="Fine?", response="Fine."),
    )
    result = clean_records(frame, CleanConfig())

    assert ids(result.kept) == [rid(3)]
    rejected = result.rejected.set_index("record_id")
    assert rejected.loc[rid(0), "reason"] == "empty_instruction"
    assert rejected.loc[rid(0), "detail"] == "instruction has 0 chars after cleaning, minimum 1"
    assert rejected.loc[rid(1), "reason"] == "empty_response"
    assert rejected.loc[rid(1), "detail"] == "response has 0 chars after cleaning, minimum 1"
    assert rejected.loc[rid(2), "reason"] == "empty_instruction"  # both empty: the instruction is reported
    assert set(rejected["stage"]) == {"clean"}
    # rejections keep the text as it entered the stage
    assert rejected.loc[rid(1), "response"] == "<p></p>"


def test_too_short_reasons_apply_when_a_minimum_is_configured(make_records):
    settings = CleanConfig(min_instruction_chars=5, min_response_chars=3)
    frame = make_records(
        dict(instruction="Why?", response="Because."),  # 4 < 5
        dict(instruction="Explain.", response="No"),  # 2 < 3
        dict(instruction="Explain.", response="Yes"),  # exactly the minimums: kept
        dict(instruction="<b>Hey?</b>", response="Yes"),  # 4 chars after stripping the tags
    )
    result = clean_records(frame, settings)

    assert ids(result.kept) == [rid(2)]
    rejected = result.rejected.set_index("record_id")
    assert rejected.loc[rid(0), "reason"] == "instruction_too_short"
    assert rejected.loc[rid(0), "detail"] == "instruction has 4 chars after cleaning, minimum 5"
    assert rejected.loc[rid(1), "reason"] == "response_too_short"
    assert rejected.loc[rid(1), "detail"] == "response has 2 chars after cleaning, minimum 3"
    assert rejected.loc[rid(3), "reason"] == "instruction_too_short"


def test_cleaning_keeps_record_ids_and_records_transforms_in_lineage(make_records):
    frame = make_records(
        dict(instruction="<p>Hi there</p>", input="x\u200by", response="Plain answer."),
        dict(instruction="Untouched", response="Untouched"),
    )
    result = clean_records(frame, CleanConfig())

    assert ids(result.kept) == ids(frame)
    lineages = {row.record_id: json.loads(row.lineage) for row in result.kept.itertuples()}
    assert lineages[rid(0)]["clean"] == ["instruction:html_stripped", "input:whitespace_normalized"]
    assert lineages[rid(0)]["source"] == "alpha"  # the load lineage is kept
    assert "clean" not in lineages[rid(1)]


def test_html_is_kept_when_strip_html_is_off(make_records):
    result = clean_one(make_records, CleanConfig(strip_html=False), instruction="<b>Bold</b> question?")
    assert result.kept.iloc[0]["instruction"] == "<b>Bold</b> question?"


# --- split_records ------------------------------------------------------------------------------------


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


def test_no_instruction_is_in_both_splits_even_when_it_differs_only_by_case_or_whitespace(make_records):
    variants = [lambda text: text, str.upper, lambda text: f"  {text}\n", lambda text: text.replace(" ", "\t  ")]
    frame = make_records(*(
        dict(instruction=variants[v](f"explain topic number {group}"), response=f"answer {v}", group=group)
        for group in range(200) for v in range(len(variants))
    ))
    groups = pd.Series([group for group in range(200) for _ in variants], index=frame["record_id"])
    parts = split_records(frame, 0.5, seed=3)

    assert instructions_in_both(parts["train"], parts["eval"]) == []
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


def test_instructions_in_both_reports_normalized_leaks(make_records):
    train = make_records(dict(instruction="What is DNS?"), dict(instruction="Other"))
    eval_ = make_records(dict(index=5, instruction="  what is   dns? "))
    assert instructions_in_both(train, eval_) == [normalize_text("What is DNS?")]


# --- training_lines -------------------------------------------------------------------------------------


@pytest.fixture
def export_frame(make_records):
    return make_records(
        dict(index=2, instruction="Translate to French.", input="Good morning", response="Bonjour"),
        dict(index=1, instruction="Say hello.", input="", response="Hello! \u00e9t\u00e9 \u2603"),
    )


def test_openai_chat_lines_include_the_system_prompt_and_append_input_to_the_user_message(export_frame):
    lines = list(training_lines(export_frame, "openai_chat", system_prompt="You are concise."))
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    assert [json.loads(line) for line in lines] == [
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


def test_alpaca_lines_have_instruction_input_output_in_that_order(export_frame):
    lines = list(training_lines(export_frame, "alpaca"))
    assert lines[1] == '{"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"}\n'
    assert list(json.loads(lines[0])) == ["instruction", "input", "output"]


def test_training_files_are_byte_identical_regardless_of_input_row_order(make_records, tmp_path):
    frame = make_records(*(dict(instruction=f"Q{i} \u00fc", input=str(i % 3), response=f"A{i}") for i in range(50)))
    shuffled = frame.sample(frac=1, random_state=7).reset_index(drop=True)
    for format_ in ("openai_chat", "alpaca"):
        first, second = tmp_path / f"{format_}_1.jsonl", tmp_path / f"{format_}_2.jsonl"
        assert write_jsonl(training_lines(frame, format_, "sys"), first) == 50
        assert write_jsonl(training_lines(shuffled, format_, "sys"), second) == 50
        assert first.read_bytes() == second.read_bytes()
        assert b"\r" not in first.read_bytes()


def test_unknown_export_format_is_an_error(export_frame):
    with pytest.raises(ValueError, match="unknown export format 'sharegpt'"):
        list(training_lines(export_frame, "sharegpt"))


# --- reconcile_ids --------------------------------------------------------------------------------------


def series(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype="string")


def test_reconcile_is_balanced_when_every_record_leaves_once():
    result = reconcile_ids(series("a", "b", "c"), series("a", "c"), series("b"))
    assert result.balanced
    assert (result.records_in, result.records_out, result.records_rejected) == (3, 2, 1)
    assert result.missing_ids == result.unexpected_ids == result.repeated_ids == []


def test_reconcile_detects_a_record_that_vanished():
    result = reconcile_ids(series("a", "b", "c"), series("a"), series("b"))
    assert not result.balanced
    assert result.missing_ids == ["c"]


def test_reconcile_detects_an_id_that_never_entered():
    result = reconcile_ids(series("a", "b"), series("a", "z"), series())
    assert not result.balanced
    assert result.unexpected_ids == ["z"]
    assert result.missing_ids == ["b"]


def test_reconcile_catches_a_drop_hidden_by_a_duplicate_even_when_counts_balance():
    # b vanished and a left twice (kept and rejected): 3 in, 2 + 1 out, yet not balanced
    result = reconcile_ids(series("a", "b", "c"), series("a", "c"), series("a"))
    assert result.records_in == result.records_out + result.records_rejected
    assert not result.balanced
    assert result.missing_ids == ["b"]
    assert result.repeated_ids == ["a"]
    assert result.as_metadata()["repeated_ids"] == ["a"]
