"""The LLM judge: a 1-5 score against a rubric kept in the repo, with the judge's rationale."""

from __future__ import annotations

from dataclasses import dataclass

from curation_assets.core.synthetic.chat import ChatRequest
from curation_assets.core.synthetic.json_reply import json_object
from curation_assets.core.synthetic.prompts import PromptTemplate


@dataclass(frozen=True)
class Judgement:
    score: int
    rationale: str


def judge_request(rubric: PromptTemplate, model: str, sampling: dict, instruction: str, input_: str,
                  response: str) -> ChatRequest:
    messages = rubric.render(instruction=instruction, input=input_ or "(none)", response=response)
    return ChatRequest.of(model, messages, **sampling)


def parse_judgement(content: str | None) -> Judgement | None:
    """The score (an integer 1-5) and rationale from the judge's JSON reply, or None."""
    reply = json_object(content)
    if reply is None:
        return None
    score = reply.get("score")
    if isinstance(score, str) and score.strip().isdigit():
        score = int(score.strip())
    if isinstance(score, float) and score.is_integer():
        score = int(score)
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        return None
    return Judgement(score, str(reply.get("rationale") or "").strip())
