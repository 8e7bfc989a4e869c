"""The clean stage's rewrites (HTML, entities, invisible characters) and its empty / too-short rejections."""

from __future__ import annotations

import json

from curation_assets.core.clean.settings import CleanConfig
from curation_assets.core.clean.stage import clean_records
from support import ids, rid


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


def test_cleaning_reports_progress_every_ten_thousand_records(make_records):
    frame = make_records(*(dict(instruction=f"Question number {i}?", response=f"Answer number {i}.") for i in range(20_500)))
    seen = []
    result = clean_records(frame, CleanConfig(), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(10_000, 20_500), (20_000, 20_500)]
    assert len(result.kept) + len(result.rejected) == 20_500
