"""Each cleaning rule on planted and real data: formatting rewrites, quality, language, unsafe content."""

from __future__ import annotations

import json
import random
import string

import pandas as pd
import pytest

from curation_assets.config import load_config
from curation_assets.core.clean.settings import CleanConfig, LanguageConfig, QualityConfig, UnsafeConfig
from curation_assets.core.clean.stage import CleanPlan, clean_records
from curation_assets.core.text.html_text import html_to_text
from curation_assets.core.text.markdown_text import strip_markdown
from curation_assets.core.load.readers import load_source
from curation_assets.core.clean.unsafe import load_classifier
from support import SHARED_CONFIG

HTML_PAGE = """<!DOCTYPE html><html><head><title>Sorting in Python</title><style>pre {color: red}</style>
<script>track("page")</script></head><body><nav><a href="/">Home</a></nav>
<h1>Sorting a list</h1><p>Use <code>sorted()</code> for a new list &amp; <code>list.sort()</code> in place.</p>
<pre><code>def by_length(words):
    if len(words) &lt; 2:
        return words
    return sorted(words, key=len)
</code></pre>
<h2>Complexity</h2>
<table><thead><tr><th>Function</th><th>Time</th></tr></thead>
<tbody><tr><td>sorted</td><td>O(n log n)</td></tr><tr><td>list.sort</td><td>O(n log n)</td></tr></tbody></table>
<ol><li>Call it</li><li>Check it<ul><li>empty list</li><li>one item</li></ul></li></ol>
</body></html>"""


def test_html_page_keeps_code_layout_table_rows_and_numbered_lists():
    text = html_to_text(HTML_PAGE)
    assert "track(" not in text and "color: red" not in text and "Sorting in Python" not in text
    assert "Use sorted() for a new list & list.sort() in place." in text
    assert ("def by_length(words):\n    if len(words) < 2:\n        return words\n"
            "    return sorted(words, key=len)") in text
    assert "Function | Time\nsorted | O(n log n)\nlist.sort | O(n log n)" in text
    assert "1. Call it\n2. Check it\n  - empty list\n  - one item" in text


def test_markdown_is_stripped_only_in_configured_fields(make_records):
    markdown = "## Steps\n\n**Bold** and *italic*, `code`, [docs](https://x.org).\n\n* one\n* two"
    frame = make_records(dict(instruction=markdown, response="**Sure.** Step one is `ls`."))
    kept = clean_records(frame, CleanConfig(strip_markdown=["instruction"])).kept.iloc[0]
    assert kept["instruction"] == "Steps\n\nBold and italic, code, docs (https://x.org).\n\n- one\n- two"
    assert kept["response"] == "**Sure.** Step one is `ls`."
    assert json.loads(kept["lineage"])["clean"] == ["instruction:markdown_stripped"]


def test_markdown_stripping_keeps_code_blocks_math_and_identifiers():
    text = "Compute 2*3*4 = 24 and a * b; call my_func(__init__).\n\n```python\nx = a**2  # *not* emphasis\n```"
    assert strip_markdown(text) == "Compute 2*3*4 = 24 and a * b; call my_func(__init__).\n\nx = a**2  # *not* emphasis"
    assert strip_markdown("| a | b |\n|---|---|\n| 1 | 2 |") == "a | b\n1 | 2"


def test_mojibake_is_repaired_and_typography_is_left_alone(make_records):
    frame = make_records(dict(instruction="Why doesnâ€™t it work? CafÃ© crÃ¨me.", response="It’s “fine”, ｆｕｌｌ."))
    kept = clean_records(frame, CleanConfig()).kept.iloc[0]
    assert kept["instruction"] == "Why doesn’t it work? Café crème."
    assert kept["response"] == "It’s “fine”, ｆｕｌｌ."
    assert json.loads(kept["lineage"])["clean"] == ["instruction:unicode_repaired"]


LONG_ANSWER = ("Photosynthesis turns light into chemical energy. Plants take in carbon dioxide through small pores "
               "in their leaves and water through their roots. Chlorophyll absorbs mostly red and blue light. The "
               "energy splits water, releases oxygen, and builds sugars that the plant stores or burns for growth. "
               "Without it, almost no food chain on land or in the sea could exist.")

def _random_words(count: int) -> list[str]:
    rng = random.Random(0)
    return ["".join(rng.choice(string.ascii_lowercase) for _ in range(3)) for _ in range(count)]


RULE_CASES = [
    ("too_long", dict(response=" ".join(f"word{i}" for i in range(6_000))), "too_long"),
    ("word_count", dict(response=" ".join(_random_words(10_001))), "too_many_words"),
    ("mean_word_length", dict(response=" ".join(["supercalifragilisticexpialidocious"] * 25)), "mean_word_length"),
    ("symbol_ratio", dict(response="# A\n# B\n# C\n# D\n" + "well ... then ... so ... " * 6), "symbol_ratio"),
    ("repetition", dict(response="Restart it now.\n" * 30 + LONG_ANSWER), "repeated_lines"),
    ("repetition", dict(response="Restart it and try again. " * 20), "repeated_ngrams"),
    ("restated_instruction", dict(instruction="Explain why the sky looks blue during the day.",
                                  response="Explain why the sky looks blue during the day."), "restated_instruction"),
    ("refusal", dict(response="As an AI language model, I cannot browse the web."), "refusal"),
    ("refusal", dict(response="I'm sorry, but I can't help with that request."), "refusal"),
    ("placeholder", dict(response="Dear [Your Name], thanks."), "placeholder"),
    ("placeholder", dict(response="Lorem ipsum dolor sit amet."), "placeholder"),
    ("placeholder", dict(response="N/A"), "placeholder"),
]


@pytest.mark.parametrize(("rule", "fields", "reason"), RULE_CASES)
def test_each_quality_rule_drops_with_its_own_reason_and_can_be_switched_off(make_records, rule, fields, reason):
    frame = make_records(dict({"instruction": "Tell me something useful about this.", **fields}))
    result = clean_records(frame, CleanConfig())
    assert list(result.rejected["reason"]) == [reason], result.rejected["detail"].tolist()
    assert result.report.drops == {reason: 1}
    assert result.report.examples[reason][0]["record_id"] == frame["record_id"].iloc[0]

    switched_off = CleanConfig(quality=QualityConfig(**{rule: {"enabled": False}}))
    assert len(clean_records(frame, switched_off).kept) == 1


def test_quality_thresholds_are_tunable(make_records):
    frame = make_records(dict(response="Yes."))
    assert len(clean_records(frame, CleanConfig()).kept) == 1
    strict = CleanConfig(quality=QualityConfig(word_count={"min_words": 3}))
    assert clean_records(frame, strict).rejected["detail"].tolist() == ["response has 1 words, minimum 3"]


def test_a_good_long_answer_passes_every_rule(make_records):
    result = clean_records(make_records(dict(instruction="How do plants make food?", response=LONG_ANSWER)),
                           CleanConfig())
    assert result.rejected.empty


def test_real_instruction_data_survives_the_default_rules(shared_data):
    # GSM8K's step-by-step answers repeat their phrasing; Gopher's web-page n-gram limits would drop 566.
    config = load_config(SHARED_CONFIG)
    gsm8k = load_source(config.sources[0], config.source_path(config.sources[0])).records
    result = clean_records(gsm8k, CleanPlan.from_config(config))
    assert len(gsm8k) == 7473
    assert result.report.drops == {}
    assert result.report.pii_by_type == {}


def test_text_in_other_languages_is_dropped_unless_allowed(make_records):
    german = "Wie setze ich meinen Router auf die Werkseinstellungen zurück, wenn er nicht mehr startet?"
    frame = make_records(dict(instruction=german, response="Halten Sie die Reset-Taste zehn Sekunden gedrückt."),
                         dict(instruction="Hallo?", response="Ja."),  # too short to judge: kept
                         dict(instruction="How do I reset my router when it no longer starts?", response="Hold reset."))
    result = clean_records(frame, CleanConfig())
    assert result.rejected["reason"].tolist() == ["language"]
    assert result.rejected["detail"].iloc[0].startswith("language de (")
    assert len(clean_records(frame, CleanConfig(language=LanguageConfig(allowed=["en", "de"]))).kept) == 3
    assert len(clean_records(frame, CleanConfig(language=LanguageConfig(enabled=False))).kept) == 3


def test_blocklist_terms_match_whole_words_in_any_field(make_records, tmp_path):
    terms = tmp_path / "terms.txt"
    terms.write_text("# unsafe phrases\nuntraceable firearm\nmeth recipe  # comment\n", encoding="utf-8")
    config = load_config(SHARED_CONFIG).model_copy(update={"clean": CleanConfig(unsafe=UnsafeConfig(
        blocklist=["Pipe Bomb"], blocklist_files=[str(terms)]))})
    frame = make_records(dict(instruction="Where do I get an Untraceable\nfirearm?"),
                         dict(response="Here is a meth recipe."),
                         dict(input="how to make a pipe bomb"),
                         dict(instruction="Explain pipe bombing in plumbing slang."))  # not a whole-word match
    result = clean_records(frame, CleanPlan.from_config(config))
    assert result.rejected["detail"].tolist() == [
        "blocklisted term 'Untraceable\\nfirearm' in instruction", "blocklisted term 'meth recipe' in response",
        "blocklisted term 'pipe bomb' in input"]
    assert set(result.rejected["reason"]) == {"blocklist"}
    assert len(result.kept) == 1


def test_classifier_hook_scores_texts_and_drops_at_the_threshold(make_records):
    frame = make_records(dict(instruction="Where can I buy contraband?", response="Nowhere."),
                         dict(instruction="Where can I buy bread?", response="At a bakery."))
    settings = CleanConfig(unsafe=UnsafeConfig(classifier="unsafe_hook:watched_word_share", classifier_threshold=0.5))
    plan = CleanPlan(settings, classifier=load_classifier("unsafe_hook:watched_word_share"))
    result = clean_records(frame, plan)
    assert result.rejected["reason"].tolist() == ["unsafe_classifier"]
    assert result.rejected["detail"].iloc[0] == "unsafe_hook:watched_word_share scored 0.833, threshold 0.5"
    assert result.kept["instruction"].tolist() == ["Where can I buy bread?"]


@pytest.mark.parametrize(("reference", "message"), [
    ("no_colon", "must be written 'module:function'"),
    ("no_such_module_xyz:f", "cannot import no_such_module_xyz"),
    ("unsafe_hook:missing", "unsafe_hook has no function missing"),
])
def test_a_bad_classifier_reference_fails_with_a_clear_error(reference, message):
    with pytest.raises(ValueError, match=message):
        load_classifier(reference)


def test_rule_drop_counts_and_examples_are_reported(make_records):
    frame = make_records(*(dict(response="As an AI language model, I cannot.") for _ in range(5)),
                         dict(response=""), dict(response="Fine."))
    report = clean_records(frame, CleanConfig(examples_per_rule=2)).report.as_metadata()
    assert report["drops_by_rule"] == {"empty_response": 1, "refusal": 5}
    assert len(report["dropped_examples"]["refusal"]) == 2
    assert report["dropped_examples"]["refusal"][0]["detail"] == "matched 'As an AI language model'"


def test_cleaning_output_is_deterministic(make_records):
    frame = make_records(*(dict(instruction=f"Q{i} mail x{i}@example.com", response="<b>A</b> " * i + "end")
                           for i in range(30)))
    first, second = clean_records(frame, CleanConfig()), clean_records(frame, CleanConfig())
    pd.testing.assert_frame_equal(first.kept, second.kept)
    pd.testing.assert_frame_equal(first.rejected, second.rejected)


@pytest.mark.parametrize(("instruction", "response", "dropped"), [
    # A letter written for the user ends with the user's name, which the writer cannot know.
    ("Turn down a job offer by e-mail.", "Hi Sam,\nThank you for the offer; I have decided to decline.\n\nThanks again,\n[Your Name]", False),
    ("Turn down a job offer by e-mail.", "Dear [Your Name], thank you for the offer; I decline.", True),
    ("Write a short note.", "Best,\n[Your Name]\n[Insert date here]", True),
    # A task about a lorem-ipsum text quotes it; filler the prompt never had is a placeholder.
    ("How many words are in 'Lorem ipsum dolor sit amet'?", "'Lorem ipsum dolor sit amet' has 5 words.", False),
    ("Describe our product.", "Lorem ipsum dolor sit amet, consectetur adipiscing elit.", True),
])
def test_the_placeholder_rule_spares_signature_slots_and_quoted_text(make_records, instruction, response, dropped):
    frame = make_records(dict(instruction=instruction, response=response))
    result = clean_records(frame, CleanConfig())
    assert list(result.rejected["reason"]) == (["placeholder"] if dropped else [])


SUDOKU = "Here is the puzzle:\n" + "\n".join([
    "5 3 . | . 7 . | . . .", "6 . . | 1 9 5 | . . .", ". 9 8 | . . . | . 6 .", "------+-------+------",
    "8 . . | . 6 . | . . 3", "4 . . | 8 . 3 | . . 1", "7 . . | . 2 . | . . 6", "=====================",
    ". 6 . | . . . | 2 8 .", ". . . | 4 1 9 | . . 5", ". . . | . 8 . | . 7 9"])
ABC_TUNE = ("X:1\nT:Twinkle Twinkle Little Star\nM:4/4\nL:1/4\nK:C\nC C G G | A A G2 | F F E E | D D C2 |\n"
            "G G F F | E E D2 | G G F F | E E D2 |\nC C G G | A A G2 | F F E E | D D C2 |]")
STARTERS = "Here are ten suspenseful sentence starters:\n" + "\n".join(
    f"{i}. {text}..." for i, text in enumerate(["The door creaked open", "She never expected the letter to say",
                                                "Just as the lights went out", "Nobody noticed the stranger until",
                                                "The last thing he remembered was", "Somewhere in the attic, something",
                                                "It was too late to turn back", "The phone rang twice, then",
                                                "Under the floorboards lay", "They said the house was empty, but"], 1))


@pytest.mark.parametrize(("response", "reason"), [
    (SUDOKU, None), (ABC_TUNE, None), (STARTERS, None),
    (" ".join("this is spam that spells every letter out one at a time"), "mean_word_length"),
])
def test_grids_notation_and_lists_of_unfinished_phrases_are_not_gopher_garbage(make_records, response, reason):
    result = clean_records(make_records(dict(instruction="Write it for me, please.", response=response)), CleanConfig())
    assert list(result.rejected["reason"]) == ([reason] if reason else []), result.rejected["detail"].tolist()
