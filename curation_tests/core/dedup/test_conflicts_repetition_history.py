"""Conflicts, repetition, and incremental dedup against what earlier runs published."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from curation_assets.core.dedup.settings import ConflictsConfig, DedupConfig, NearDuplicatesConfig, RepetitionConfig
from curation_assets.core.dedup.conflicts import SAME_PROMPT, SAME_RESPONSE, find_conflicts
from curation_assets.core.dedup.stage import deduplicate
from curation_assets.core.dedup.history import HISTORY_COLUMNS, decode_signatures
from curation_assets.core.rules import run_rules
from curation_assets.core.text.repetition import GopherRepetition, first_excesses

KEEP = ("real_first", "longest_response", "earliest_position")
ANSWER = "Paris is the capital and largest city of France, on the Seine."


def _rank(source: str) -> int:
    return {"alpha": 0, "beta": 1}[source]


def _paragraph(seed: int, words: int = 80) -> str:
    rng = np.random.default_rng(seed)
    return " ".join(f"w{value}" for value in rng.integers(0, 100000, size=words))


# --- conflicts ---------------------------------------------------------------------------------


def test_same_prompt_with_different_responses_is_a_conflict_resolved_by_the_best_ranked(make_records):
    records = make_records(
        dict(instruction="What is the capital of France?", response="Paris."),
        dict(instruction="what is the  capital of France?", response="Lyon, probably.", kind="synthetic"),
        dict(instruction="What is the capital of Italy?", response="Rome."),
    )
    found = find_conflicts(records, ConflictsConfig(), KEEP, _rank)
    assert found.result.rejected["reason"].tolist() == [SAME_PROMPT]
    assert found.result.rejected["response"].tolist() == ["Lyon, probably."]
    row = found.table.iloc[0]
    assert row["kind"] == SAME_PROMPT and row["size"] == 2 and row["kept_ids"] == [records["record_id"][0]]
    assert records["record_id"][0] in found.result.rejected["detail"].iloc[0]


@pytest.mark.parametrize("policy, kept", [("best", ["0003"]), ("first", ["0001"]), ("drop_all", [])])
def test_conflict_policy_keeps_the_best_the_first_or_none(make_records, policy, kept):
    records = make_records(
        dict(index=1, instruction="Name a colour.", response="Red."),
        dict(index=2, instruction="Name a colour.", response="Blue."),
        dict(index=3, instruction="Name a colour.", response="Green, like grass in spring."),
    )
    found = find_conflicts(records, ConflictsConfig(same_prompt=policy), KEEP, _rank)
    assert [record_id[-4:] for record_id in found.result.kept["record_id"]] == kept
    assert len(found.result.rejected) == 3 - len(kept)


def test_the_same_long_response_to_different_prompts_is_a_reused_response(make_records):
    records = make_records(
        dict(instruction="Tell me about Paris.", response=ANSWER),
        dict(instruction="Which city is France's capital?", response=ANSWER.upper()),
        dict(instruction="Say yes.", response="Yes."),
        dict(instruction="Agree with me.", response="Yes."),  # short answers are legitimately shared
    )
    listed = find_conflicts(records, ConflictsConfig(), KEEP, _rank)  # default: listed, nothing dropped
    assert listed.result.rejected.empty
    assert listed.table["kind"].tolist() == [SAME_RESPONSE] and listed.table["policy"].tolist() == ["keep_all"]
    assert len(listed.table["kept_ids"].iloc[0]) == 2
    found = find_conflicts(records, ConflictsConfig(same_response="best"), KEEP, _rank)
    assert found.result.rejected["reason"].tolist() == [SAME_RESPONSE]
    assert found.result.rejected["instruction"].tolist() == ["Which city is France's capital?"]
    assert found.table["kind"].tolist() == [SAME_RESPONSE]


def test_conflict_kinds_can_be_switched_off(make_records):
    records = make_records(dict(instruction="Q", response="A one"), dict(instruction="Q", response="A two"))
    found = find_conflicts(records, ConflictsConfig(same_prompt=None), KEEP, _rank)
    assert found.result.rejected.empty and found.table.empty


# --- repetition ---------------------------------------------------------------------------------


def repetition_finding(text: str, settings: RepetitionConfig) -> str | None:
    excess = first_excesses([text], settings)[0]
    return None if excess is None else str(excess)


# The values RepetitionConfig's docstring recommends for switching the n-gram rules on.
NGRAM_RULES = RepetitionConfig(max_top_ngram_char_fraction={2: 0.45, 3: 0.45, 4: 0.45},
                               max_duplicate_ngram_char_fraction={n: 0.5 for n in range(5, 11)})


def test_a_response_repeating_a_line_is_rejected_with_the_rule_it_broke(make_records):
    looping = "\n".join(["I am sorry, I cannot help with that."] * 6 + ["Anything else?"])
    records = make_records(dict(response=looping), dict(response="Line one.\nLine two.\nLine three."))
    result = run_rules(records, [GopherRepetition("repetition", RepetitionConfig())], "dedup")
    assert result.rejected["reason"].tolist() == ["repetition"]
    assert result.rejected["detail"].iloc[0].startswith("response duplicate_line_fraction 0.71 > 0.30")


def test_repeated_paragraphs_and_sentence_loops_without_newlines_are_caught():
    paragraph = "This paragraph explains the method in some detail and then stops."
    assert repetition_finding("\n\n".join([paragraph, "Intro.", paragraph, paragraph]), RepetitionConfig()) \
        .startswith("duplicate_line_fraction")
    loop = " ".join(["The answer is that we should keep trying until it works."] * 8)
    assert repetition_finding(loop, RepetitionConfig()) is None  # n-gram rules: off unless configured
    assert repetition_finding(loop, NGRAM_RULES) == "duplicate_5gram_char_fraction 0.87 > 0.50"


def test_real_worked_solutions_are_not_flagged(shared_data):
    lines = (shared_data / "gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()
    answers = [json.loads(line)["answer"] for line in lines]
    assert len(answers) == 7473
    assert [excess for excess in first_excesses(answers, NGRAM_RULES) if excess] == []


def test_a_rule_set_to_null_is_off():
    text = "\n".join(["same line"] * 5)
    off = RepetitionConfig(max_duplicate_line_fraction=None, max_duplicate_line_char_fraction=None,
                           max_duplicate_paragraph_fraction=None, max_duplicate_paragraph_char_fraction=None)
    assert repetition_finding(text, RepetitionConfig()) is not None
    assert repetition_finding(text, off) is None


# --- the whole stage, across runs -----------------------------------------------------------------


def _batch(make_records, rows):
    return make_records(*rows)


def test_a_new_batch_is_deduplicated_against_what_earlier_runs_published(make_records):
    day_one = make_records(
        dict(index=1, instruction=_paragraph(1), response="first"),
        dict(index=2, instruction=_paragraph(2), response="second"),
    )
    first = deduplicate(day_one, DedupConfig(), _rank)
    assert len(first.result.kept) == 2 and list(first.history_rows.columns) == list(HISTORY_COLUMNS)

    near_copy = _paragraph(1).split()
    near_copy[40] = "changed"
    day_two = make_records(
        dict(index=11, instruction=" ".join(near_copy), response="first"),  # yesterday's near-duplicate
        dict(index=12, instruction=_paragraph(2).upper(), response="SECOND"),  # yesterday's exact duplicate
        dict(index=13, instruction=_paragraph(3), response="third"),  # new
    )
    second = deduplicate(day_two, DedupConfig(), _rank, history=first.history_rows)
    reasons = dict(zip(second.result.rejected["record_id"].str[-2:], second.result.rejected["reason"]))
    assert reasons == {"0b": "near_duplicate", "0c": "exact_duplicate"}
    details = " ".join(second.result.rejected["detail"])
    assert day_one["record_id"][0] in details and day_one["record_id"][1] in details
    assert second.result.kept["record_id"].tolist() == [day_two["record_id"][2]]
    assert second.clusters["representative_id"].tolist() == [day_one["record_id"][0]]

    # The warehouse after day two holds both days' kept records; re-running day two changes nothing.
    history = pd.concat([first.history_rows, second.history_rows], ignore_index=True)
    again = deduplicate(day_two, DedupConfig(), _rank, history=history)
    assert again.result.kept.equals(second.result.kept)
    assert again.result.rejected.equals(second.result.rejected)
    # Nor does re-running day one: its own records are not their own duplicates.
    day_one_again = deduplicate(day_one, DedupConfig(), _rank, history=history)
    assert day_one_again.result.kept.equals(first.result.kept) and day_one_again.result.rejected.empty


def test_history_signed_under_other_settings_is_signed_again_not_compared(make_records):
    day_one = make_records(dict(index=1, instruction=_paragraph(4), response="x"))
    first = deduplicate(day_one, DedupConfig(), _rank)
    changed = DedupConfig(near_duplicates=NearDuplicatesConfig(num_perm=64, shingle_size=3))
    near_copy = _paragraph(4).split()
    near_copy[10] = "changed"
    second = deduplicate(make_records(dict(index=2, instruction=" ".join(near_copy), response="x")), changed, _rank,
                         history=first.history_rows)
    assert second.result.rejected["reason"].tolist() == ["near_duplicate"]
    refreshed = second.history_rows[second.history_rows["record_id"] == day_one["record_id"][0]]
    assert len(refreshed) == 1 and decode_signatures(refreshed["signature"].tolist(), 64).shape == (1, 64)


def test_incremental_off_ignores_history(make_records):
    day_one = make_records(dict(index=1, instruction=_paragraph(5), response="x"))
    first = deduplicate(day_one, DedupConfig(), _rank)
    settings = DedupConfig(near_duplicates=NearDuplicatesConfig(incremental=False))
    second = deduplicate(make_records(dict(index=2, instruction=_paragraph(5), response="x")), settings, _rank,
                         history=first.history_rows)
    assert second.result.rejected.empty


def test_passes_run_in_order_and_every_record_leaves_once(make_records):
    looping = "\n".join(["Same line again."] * 8)
    base = _paragraph(6)
    records = make_records(
        dict(index=1, instruction=base, response="ok"),
        dict(index=2, instruction=base, response="ok"),  # exact duplicate
        dict(index=3, instruction="Loop please", response=looping),  # repetition
        dict(index=4, instruction=base + " extra", response="ok"),  # near-duplicate
        dict(index=5, instruction="Capital of France?", response="Paris."),
        dict(index=6, instruction="Capital of France?", response="Marseille."),  # conflict
    )
    outcome = deduplicate(records, DedupConfig(), _rank)
    reasons = sorted(outcome.result.rejected["reason"])
    assert reasons == ["conflicting_response", "exact_duplicate", "near_duplicate", "repetition"]
    ids = list(outcome.result.kept["record_id"]) + list(outcome.result.rejected["record_id"])
    assert sorted(ids) == sorted(records["record_id"])


def test_conversations_compare_their_user_turns_and_pairs_their_rejected_answer(make_records):
    from curation_assets.core.load.conversations import turns_json

    def chat(*turns: str) -> str:
        return turns_json([{"role": role, "content": text} for role, text in zip(("user", "assistant") * 3, turns)])

    records = make_records(
        dict(index=1, instruction="And in winter?", response="Cold.", earlier_turns=chat("Weather in Oslo?", "Mild.")),
        # the same user turns and final answer, another earlier assistant turn: an exact duplicate
        dict(index=2, instruction="And in winter?", response="Cold.", earlier_turns=chat("Weather in Oslo?", "Nice.")),
        # other earlier user turns: another conversation, kept
        dict(index=3, instruction="And in winter?", response="Cold.", earlier_turns=chat("Weather in Rome?", "Warm.")),
        # the same conversation so far with another final answer: a conflict
        dict(index=4, instruction="And in winter?", response="Freezing, often below -10.",
             earlier_turns=chat("Weather in Oslo?", "Mild.")),
        # preference pairs: the same prompt and chosen answer with other rejected answers are two pairs,
        # and neither conflicts with a supervised answer to the same prompt
        dict(index=5, instruction="Capital of France?", response="Paris.", rejected_response="Lyon."),
        dict(index=6, instruction="Capital of France?", response="Paris.", rejected_response="Nice."),
        dict(index=7, instruction="Capital of France?", response="Paris is the capital."),
    )
    outcome = deduplicate(records, DedupConfig(), _rank)
    rejected = {record_id[-1:]: reason for record_id, reason in
                zip(outcome.result.rejected["record_id"], outcome.result.rejected["reason"])}
    assert rejected == {"2": "exact_duplicate", "1": "conflicting_response"}  # the longer answer kept

    every_turn = deduplicate(records, DedupConfig(compared_turns="all"), _rank)
    assert "exact_duplicate" not in set(every_turn.result.rejected["reason"])
