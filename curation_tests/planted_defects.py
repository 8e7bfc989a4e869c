"""A corpus of real instruction records and defective variants of some of them, with its ground truth.

Originals are real records from ../shared/data (GSM8K word problems, Self-Instruct seed
instances, GPTeacher tool-use), in source ``originals``. Variants of an original, each planted
in a later source so the original is never favoured by position alone:

- ``html``: the response wrapped in HTML (``<p>``, ``<br>``, a list), source ``variants``;
- ``pii``: a sentence with an e-mail address or a phone number appended to the response;
- ``refusal``: the response replaced by a refusal; ``empty``: the response emptied;
- ``near_edit``: one word of the response dropped (a near-duplicate);
- ``exact_copy``: the record again; ``normalized_copy``: the record in upper case with doubled spaces;
- ``second_answer``: the same instruction answered by another model (source ``model_b``, synthetic):
  a conflict.

A group is an original and its variants: the pipeline should keep exactly one member of each, and
that member should be the original itself. Deterministic: the same seed gives the same corpus.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

DEFECT_KINDS = ("html", "pii", "refusal", "empty", "near_edit", "exact_copy", "normalized_copy", "second_answer")
REFUSALS = [
    "I'm sorry, but I can't help with that request.",
    "As an AI language model, I cannot provide an answer to this question.",
    "I am unable to assist with that.",
]
PII_SENTENCES = [
    "If anything is unclear, write to jane.doe@example.com and I will explain.",
    "Questions? Call me at (415) 555-0132 any weekday.",
    "You can also reach our tutor at omar.haddad@company.io for more examples.",
]


@dataclass
class PlantedDefects:
    originals: list[dict]  # {instruction, input, response}
    variants: list[dict]  # {instruction, input, response, group, kind}
    second_answers: list[dict]  # {instruction, input, response, group}
    groups: dict[int, list[tuple[str, int]]] = field(default_factory=dict)  # group → (source, position) of members

    def write(self, folder: Path) -> dict[str, Path]:
        """One JSONL file per source; returns their paths by source name."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, rows in (("originals", self.originals), ("variants", self.variants), ("model_b", self.second_answers)):
            paths[name] = folder / f"{name}.jsonl"
            paths[name].write_text("".join(json.dumps({key: row[key] for key in ("instruction", "input", "response")},
                                                      ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        return paths

    def kind_of(self, source: str, position: int) -> str:
        if source == "originals":
            return "original"
        if source == "model_b":
            return "second_answer"
        return self.variants[position]["kind"]


def _real_records(shared_data: Path, count: int, rng: random.Random) -> list[dict]:
    gsm = [json.loads(line) for line in (shared_data / "gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()]
    seeds = [json.loads(line) for line in (shared_data / "self_instruct_seed_tasks.jsonl").read_text().splitlines()]
    tool = json.loads((shared_data / "gpteacher_toolformer.json").read_text(encoding="utf-8"))
    pool = [{"instruction": r["question"], "input": "", "response": r["answer"]} for r in gsm[:4000]]
    pool += [{"instruction": task["instruction"], "input": task["instances"][0]["input"],
              "response": task["instances"][0]["output"]} for task in seeds]
    pool += [{"instruction": r["instruction"], "input": r["input"], "response": r["output"]} for r in tool[::7]]
    rng.shuffle(pool)
    chosen, seen = [], set()
    for record in pool:
        key = " ".join(record["instruction"].lower().split())
        if key in seen or len(record["response"].split()) < 12:
            continue  # one record per instruction, and responses long enough to vary
        seen.add(key)
        chosen.append(record)
        if len(chosen) == count:
            break
    return chosen


def _html(response: str, rng: random.Random) -> str:
    lines = response.split("\n")
    if len(lines) > 1 and rng.random() < 0.5:
        return "<div><p>" + "<br>\n".join(lines) + "</p></div>"
    return f"<p>{response}</p>"


def _near_edit(response: str, rng: random.Random) -> str:
    words = response.split(" ")
    drop = rng.randrange(1, len(words) - 1)
    return " ".join(words[:drop] + words[drop + 1:])


def _normalized_copy(text: str) -> str:
    return text.upper().replace(" ", "  ")


def planted_defects(shared_data: Path, originals: int = 300, seed: int = 12) -> PlantedDefects:
    """``originals`` real records; each of the first two thirds gets one or two variants, in turn."""
    rng = random.Random(seed)
    records = _real_records(shared_data, originals, rng)
    answers = [record["response"] for record in _real_records(shared_data, originals, random.Random(seed + 1))]
    variants, second_answers = [], []
    groups: dict[int, list[tuple[str, int]]] = {}
    for group, record in enumerate(records):
        groups[group] = [("originals", group)]
        if group % 3 == 2:
            continue  # a third of the originals have no variant
        kinds = [DEFECT_KINDS[group % len(DEFECT_KINDS)]]
        if group % 5 == 0:
            kinds.append(DEFECT_KINDS[(group // 5) % len(DEFECT_KINDS)])
        for kind in dict.fromkeys(kinds):
            variant = dict(record)
            if kind == "html":
                variant["response"] = _html(record["response"], rng)
            elif kind == "pii":
                variant["response"] = record["response"] + "\n" + rng.choice(PII_SENTENCES)
            elif kind == "refusal":
                variant["response"] = rng.choice(REFUSALS)
            elif kind == "empty":
                variant["response"] = ""
            elif kind == "near_edit":
                variant["response"] = _near_edit(record["response"], rng)
            elif kind == "normalized_copy":
                variant = {name: _normalized_copy(text) for name, text in record.items()}
            elif kind == "second_answer":
                second_answers.append({**record, "response": answers[(group * 7 + 3) % len(answers)], "group": group})
                groups[group].append(("model_b", len(second_answers) - 1))
                continue
            variants.append({**variant, "group": group, "kind": kind})
            groups[group].append(("variants", len(variants) - 1))
    return PlantedDefects(records, variants, second_answers, groups)


@dataclass
class Outcome:
    defects_handled: float  # planted defective records not in the output
    clean_kept: float  # originals in the output, themselves
    groups_with_one_member: float  # groups that keep exactly one member
    lost: list[tuple[int, str]]  # (group, why) for each original not kept
    surviving_defects: list[tuple[int, str]]  # (group, kind) for each defective record kept


def judge(planted: PlantedDefects, survivors: set[tuple[str, int]]) -> Outcome:
    """``survivors``: (source, position) of every record in train or eval."""
    defects = [(group, member) for group, members in planted.groups.items() for member in members[1:]]
    surviving_defects = [(group, planted.kind_of(*member)) for group, member in defects if member in survivors]
    lost = []
    one_member = 0
    for group, members in planted.groups.items():
        kept = [member for member in members if member in survivors]
        one_member += len(kept) == 1
        if ("originals", group) not in survivors:
            lost.append((group, ", ".join(planted.kind_of(*member) for member in kept) or "no member kept"))
    return Outcome(
        defects_handled=1 - len(surviving_defects) / max(len(defects), 1),
        clean_kept=1 - len(lost) / len(planted.originals),
        groups_with_one_member=one_member / len(planted.groups),
        lost=lost,
        surviving_defects=surviving_defects,
    )
