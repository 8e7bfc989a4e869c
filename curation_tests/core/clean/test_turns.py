"""A conversation's earlier turns and a pair's rejected answer are cleaned too: rewritten in place with
lineage, and a record dropped when one of them fails a content rule, naming the turn."""

from __future__ import annotations

import json

import pandas as pd

from curation_assets.core.clean.settings import CleanConfig
from curation_assets.core.clean.stage import CleanPlan, clean_records
from curation_assets.core.load.conversations import turns_json
from curation_assets.core.records import as_records


def record(letter: str, position: int, **fields) -> dict:
    return {"record_id": letter * 20, "source": "chats", "source_position": position, "input": "", "kind": "real",
            "lineage": "{}", "instruction": "What is the weather like today in Paris?",
            "response": "It is sunny and warm in Paris today, around 25 degrees.", **fields}


def test_turns_and_rejected_answers_are_redacted_stripped_or_dropped_with_the_turn_named():
    frame = as_records(pd.DataFrame([
        record("a", 1, earlier_turns=turns_json([
            {"role": "user", "content": "My email is john.doe@example.com, remember it."},
            {"role": "assistant", "content": "<b>Noted</b>, I will."},
            {"role": "user", "content": "ok"},  # short: length rules are not applied to earlier turns
            {"role": "assistant", "content": "Sure."},
        ])),
        record("b", 2, rejected_response="Use the kill switch on it."),
        record("c", 3, earlier_turns=turns_json([{"role": "user", "content": "Tell me about the kill switch."},
                                                 {"role": "assistant", "content": "Which one?"}])),
        record("d", 4, rejected_response="No."),  # a rejected answer may be poor: that is its job
        record("e", 5),
    ]))
    plan = CleanPlan(CleanConfig(), blocklist_terms=["kill switch"])
    result = clean_records(frame, plan)

    assert len(frame) == len(result.kept) + len(result.rejected)
    assert result.kept["record_id"].str[0].tolist() == ["a", "d", "e"]  # input order kept
    redacted = result.kept.iloc[0]
    assert json.loads(redacted.earlier_turns) == [
        {"role": "user", "content": "My email is <EMAIL>, remember it."},
        {"role": "assistant", "content": "Noted, I will."},
        {"role": "user", "content": "ok"},
        {"role": "assistant", "content": "Sure."},
    ]
    lineage = json.loads(redacted.lineage)
    assert sorted(lineage["clean"]) == ["earlier_turns:html_stripped", "earlier_turns:pii_redacted"]
    assert lineage["pii_redacted"] == {"EMAIL": 1}
    assert result.kept.iloc[1].rejected_response == "No."

    drops = result.rejected.set_index("source_position")
    assert drops.loc[2, "reason"] == drops.loc[3, "reason"] == "blocklist"
    assert drops.loc[2, "detail"].startswith("rejected_response: blocklisted term 'kill switch'")
    assert drops.loc[3, "detail"].startswith("earlier turn 1 (user): blocklisted term 'kill switch'")
    assert drops.loc[3, "earlier_turns"] == frame.iloc[2].earlier_turns  # kept as it entered the stage
    report = result.report.as_metadata()
    assert report["drops_by_rule"] == {"blocklist": 2}
    assert report["pii_by_type"] == {"EMAIL": 1} and report["pii_records_redacted"] == 1
