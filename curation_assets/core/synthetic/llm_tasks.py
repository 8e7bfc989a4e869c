"""LLM generation tasks: which requests a batch makes and how replies become records.

Pure: the caller passes ``complete``, which takes chat requests and returns one outcome per request
in the same order (from the cache or the endpoint). Records are built in plan order, so the batch
does not depend on which request finished first.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from curation_assets.core.synthetic.settings import BatchConfig
from curation_assets.core.records import normalize_text
from curation_assets.core.synthetic.chat import ChatOutcome, ChatRequest
from curation_assets.core.synthetic.json_reply import json_object
from curation_assets.core.synthetic.novelty import NoveltyFilter
from curation_assets.core.synthetic.prompts import load_template
from curation_assets.core.verify.judge import judge_request, parse_judgement

Complete = Callable[[list[ChatRequest]], list[ChatOutcome]]
SELF_INSTRUCT_EXAMPLES = 3
NOVELTY_THRESHOLD = 0.7
RESPONSE_TEMPLATE = "response_v1"
CODE_TOPICS = [
    "string manipulation", "list processing", "counting with dictionaries", "number theory",
    "date arithmetic with the datetime module", "parsing a simple text format", "recursion",
    "sorting with a custom key", "matrix operations on nested lists", "validating user input",
]


@dataclass
class LLMItem:
    """One planned record: what was asked, and (after completion) what came back."""

    position: int
    seed_ids: list[str]
    instruction: str = ""
    input: str = ""
    response: str = ""
    expect: dict = field(default_factory=dict)
    templates: list[dict] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # cache keys, in the order they were made
    received_at: str | None = None
    finish_reasons: list[str] = field(default_factory=list)
    problem: tuple[str, str] | None = None  # (reason, detail) when the item yields no record
    extra: dict = field(default_factory=dict)
    rejected_response: str = ""  # a preference pair's dispreferred answer


def _sampling(batch: BatchConfig, position: int, phase: int = 0) -> dict:
    # A per-item seed makes otherwise identical prompts distinct requests (and cache keys).
    return {**batch.sampling.model_dump(), "seed": batch.seed * 1_000_003 + position * 7 + phase}


def _record_outcome(item: LLMItem, outcome: ChatOutcome) -> bool:
    item.requests.append(outcome.key)
    if not outcome.ok:
        item.problem = (outcome.error, outcome.error_detail)
        return False
    item.received_at = max(filter(None, [item.received_at, outcome.received_at]), default=None)
    item.finish_reasons.append(outcome.finish_reason or "")
    return True


def _respond(items: list[LLMItem], model: str, batch: BatchConfig, complete: Complete, phase: int) -> None:
    template = load_template(RESPONSE_TEMPLATE)
    pending = [item for item in items if item.problem is None]
    requests = [
        ChatRequest.of(model, template.render(instruction=item.instruction,
                                               input_block=f"\nInput:\n{item.input}" if item.input else ""),
                       **_sampling(batch, item.position, phase))
        for item in pending
    ]
    for item, outcome in zip(pending, complete(requests)):
        item.templates.append({**template.lineage(), "role": "response"})
        if _record_outcome(item, outcome):
            item.response = (outcome.content or "").strip()
            if outcome.finish_reason == "length":
                item.expect["complete"] = False


def _seed_rows(seeds: pd.DataFrame, count: int, seed: int, eligible: pd.Series) -> pd.DataFrame:
    pool = seeds[eligible].sort_values("record_id", kind="mergesort")
    if len(pool) <= count:
        return pool
    return pool.sample(n=count, random_state=seed).sort_values("record_id", kind="mergesort")


def self_instruct(batch: BatchConfig, model: str, seeds: pd.DataFrame, complete: Complete) -> list[LLMItem]:
    template = load_template(batch.template_id)
    pool = seeds.drop_duplicates("instruction").sort_values("record_id", kind="mergesort")
    if pool.empty:
        return []
    items, requests = [], []
    for position in range(batch.count):
        rng = random.Random(batch.seed * 1_000_003 + position)
        examples = pool.iloc[sorted(rng.sample(range(len(pool)), min(SELF_INSTRUCT_EXAMPLES, len(pool))))]
        shown = "\n".join(
            f"{n}. Instruction: {row.instruction}" + (f"\n   Input: {row.input}" if row.input else "")
            for n, row in enumerate(examples.itertuples(index=False), start=1)
        )
        items.append(LLMItem(position, list(examples["record_id"]),
                             templates=[{**template.lineage(), "role": "instruction"}]))
        requests.append(ChatRequest.of(model, template.render(examples=shown), **_sampling(batch, position)))
    novelty = NoveltyFilter(list(pool["instruction"]), NOVELTY_THRESHOLD)
    for item, outcome in zip(items, complete(requests)):
        if not _record_outcome(item, outcome):
            continue
        reply = json_object(outcome.content)
        if reply is None or not isinstance(reply.get("instruction"), str) or not reply["instruction"].strip():
            item.problem = ("unparseable", f"expected a JSON object with an instruction; got {(outcome.content or '')[:200]!r}")
            continue
        item.instruction = reply["instruction"].strip()
        item.input = str(reply.get("input") or "").strip()
        verdict = novelty.accept_if_novel(item.instruction)
        item.extra["novelty_rouge_l"] = round(verdict.score, 4)
        if not verdict.novel:
            item.problem = ("not_novel", f"ROUGE-L {verdict.score:.2f} >= {NOVELTY_THRESHOLD} against {verdict.closest!r}")
    _respond(items, model, batch, complete, phase=1)
    return items


def respond_to_unanswered(batch: BatchConfig, model: str, seeds: pd.DataFrame, complete: Complete) -> list[LLMItem]:
    eligible = seeds["instruction"].str.strip().ne("") & seeds["response"].fillna("").str.strip().eq("")
    rows = _seed_rows(seeds, batch.count, batch.seed, eligible)
    items = [LLMItem(position, [row.record_id], instruction=row.instruction, input=row.input or "")
             for position, row in enumerate(rows.itertuples(index=False))]
    _respond(items, model, batch, complete, phase=0)
    return items


def paraphrase(batch: BatchConfig, model: str, seeds: pd.DataFrame, complete: Complete) -> list[LLMItem]:
    template = load_template(batch.template_id)
    eligible = seeds["instruction"].str.strip().ne("") & seeds["response"].fillna("").str.strip().ne("")
    rows = _seed_rows(seeds, batch.count, batch.seed, eligible)
    items, requests = [], []
    for position, row in enumerate(rows.itertuples(index=False)):
        items.append(LLMItem(position, [row.record_id], input=row.input or "", response=row.response,
                             templates=[{**template.lineage(), "role": "paraphrase"}],
                             extra={"original_instruction": row.instruction}))
        requests.append(ChatRequest.of(model, template.render(instruction=row.instruction),
                                       **_sampling(batch, position)))
    for item, outcome in zip(items, complete(requests)):
        if not _record_outcome(item, outcome):
            continue
        item.instruction = (outcome.content or "").strip().strip('"').strip()
        if outcome.finish_reason == "length":
            item.expect["complete"] = False
        if normalize_text(item.instruction) == normalize_text(item.extra["original_instruction"]):
            item.problem = ("paraphrase_unchanged", "the paraphrase equals the original after normalization")
    return items


def code_exercises(batch: BatchConfig, model: str, seeds: pd.DataFrame, complete: Complete) -> list[LLMItem]:
    template = load_template(batch.template_id)
    items, requests = [], []
    for position in range(batch.count):
        topic = random.Random(batch.seed * 1_000_003 + position).choice(CODE_TOPICS)
        items.append(LLMItem(position, [], templates=[{**template.lineage(), "role": "exercise"}],
                             extra={"topic": topic}))
        requests.append(ChatRequest.of(model, template.render(topic=topic), **_sampling(batch, position)))
    for item, outcome in zip(items, complete(requests)):
        if not _record_outcome(item, outcome):
            continue
        reply = json_object(outcome.content)
        fields = ("instruction", "solution", "tests")
        if reply is None or not all(isinstance(reply.get(name), str) and reply[name].strip() for name in fields):
            item.problem = ("unparseable", "expected a JSON object with instruction, solution and tests; "
                                           f"got {(outcome.content or '')[:200]!r}")
            continue
        item.instruction = reply["instruction"].strip()
        item.response = f"```python\n{reply['solution'].strip()}\n```"
        item.expect.update({"format": "python", "tests": reply["tests"].strip() + "\n"})
    return items


def preference_pairs(batch: BatchConfig, model: str, seeds: pd.DataFrame, complete: Complete) -> list[LLMItem]:
    """Per seed prompt, ``batch.candidates`` answers, each scored by the judge's rubric: the best scored
    is chosen, the worst rejected; a pair whose scores differ by less than ``batch.min_margin`` is no
    preference (``tie``, ``low_margin``), and one whose answers the judge could not score is dropped."""
    answer_template, rubric = load_template(batch.template_id), load_template(batch.judge_template)
    eligible = seeds["instruction"].fillna("").str.strip().ne("")
    rows = _seed_rows(seeds, batch.count, batch.seed, eligible)
    items = [LLMItem(position, [row.record_id], instruction=row.instruction, input=row.input or "",
                     templates=[{**answer_template.lineage(), "role": "candidate"}, {**rubric.lineage(), "role": "judge"}])
             for position, row in enumerate(rows.itertuples(index=False))]
    answers: list[list[str]] = [[] for _ in items]
    for candidate in range(batch.candidates):
        pending = [item for item in items if item.problem is None]
        requests = [ChatRequest.of(model, answer_template.render(
            instruction=item.instruction, input_block=f"\nInput:\n{item.input}" if item.input else ""),
            **_sampling(batch, item.position, phase=candidate)) for item in pending]
        for item, outcome in zip(pending, complete(requests)):
            if _record_outcome(item, outcome):
                answers[item.position].append((outcome.content or "").strip())
    pending = [item for item in items if item.problem is None]
    requests = [judge_request(rubric, model, _sampling(batch, item.position, phase=100 + number), item.instruction,
                              item.input, answer)
                for item in pending for number, answer in enumerate(answers[item.position])]
    outcomes = iter(complete(requests))
    for item in pending:
        scored = []
        for number, answer in enumerate(answers[item.position]):
            outcome = next(outcomes)
            judgement = parse_judgement(outcome.content) if _record_outcome(item, outcome) else None
            scored.append({"candidate": number, "score": judgement.score if judgement else None,
                           "rationale": judgement.rationale if judgement else None, "request": outcome.key})
        item.extra["candidates"] = scored
        if item.problem is not None:
            continue
        if any(entry["score"] is None for entry in scored):
            item.problem = ("unjudged", "the judge's reply for a candidate was not a 1-5 score")
            continue
        best = max(scored, key=lambda entry: (entry["score"], -entry["candidate"]))
        worst = min(scored, key=lambda entry: (entry["score"], entry["candidate"]))
        margin = best["score"] - worst["score"]
        scores = ", ".join(str(entry["score"]) for entry in scored)
        if margin == 0:
            item.problem = ("tie", f"every candidate scored {best['score']} ({scores}): no preference")
        elif margin < batch.min_margin:
            item.problem = ("low_margin", f"scores {scores}: margin {margin} < {batch.min_margin}")
        elif answers[item.position][best["candidate"]] == answers[item.position][worst["candidate"]]:
            item.problem = ("chosen_equals_rejected", "the best and worst scored answers are the same text")
        else:
            item.response = answers[item.position][best["candidate"]]
            item.rejected_response = answers[item.position][worst["candidate"]]
            item.extra.update(chosen_candidate=best["candidate"], rejected_candidate=worst["candidate"])
    return items


LLM_TASKS: dict[str, Callable[[BatchConfig, str, pd.DataFrame, Complete], list[LLMItem]]] = {
    "self_instruct": self_instruct,
    "response": respond_to_unanswered,
    "paraphrase": paraphrase,
    "code": code_exercises,
    "preference": preference_pairs,
}


