"""Conversations and preference pairs as records: turns in the layouts trainers and logs use, read into
the canonical record (the final user turn, the final assistant turn, the turns before them, and a
pair's dispreferred answer), or the reason they cannot be.

Layouts read: OpenAI / TRL conversational messages (``role``/``content``, content a string or a list of
text parts), ShareGPT (``from``/``value``: human, gpt, system, observation, function_call), and
Anthropic HH transcripts (``\\n\\nHuman: ...\\n\\nAssistant: ...``). Preference pairs come as prompt +
chosen + rejected strings (TRL standard), as prompt turns + chosen and rejected assistant turns (TRL
conversational), or as two whole conversations that differ in their final answer (UltraFeedback, HH).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

ROLES = ("system", "user", "assistant", "tool")
ROLE_ALIASES = {
    "system": "system", "user": "user", "human": "user", "assistant": "assistant", "gpt": "assistant",
    "model": "assistant", "bot": "assistant", "function_call": "assistant", "tool": "tool",
    "function": "tool", "observation": "tool", "ipython": "tool",
}
_HH_SPEAKER = re.compile(r"(?:^|\n\n)(Human|Assistant):[ \t]?")


class TurnProblem(ValueError):
    """A conversation that cannot become a record: ``reason`` is the rejection reason, the message its detail."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Conversation:
    earlier_turns: list[dict[str, str]]  # before the final user turn
    instruction: str  # the final user turn
    response: str  # the final assistant turn

    def texts(self) -> dict[str, str]:
        return {"instruction": self.instruction, "response": self.response}


def turns_json(turns: list[dict[str, Any]]) -> str:
    """The ``earlier_turns`` column's text: compact, keys in a fixed order, so equal turns are equal text."""
    return json.dumps(turns, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def read_turns(turns: list[dict[str, Any]] | str) -> list[dict[str, Any]]:
    return json.loads(turns) if isinstance(turns, str) else turns


def _text_of(content: Any, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts: only text parts are text a model learns
        texts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            else:
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise TurnProblem("non_text_turn", f"{where} holds a {kind!r} part, not text")
        return "".join(texts)
    raise TurnProblem("non_text_turn", f"{where}'s content is {type(content).__name__}, not text")


def _turn(value: Any, number: int) -> dict[str, Any]:
    where = f"turn {number}"
    if not isinstance(value, dict):
        raise TurnProblem("not_a_conversation", f"{where} is {type(value).__name__}, not a turn object")
    if "role" in value:
        role, content = value["role"], value.get("content")
    elif "from" in value:
        role, content = value["from"], value.get("value")
    else:
        raise TurnProblem("not_a_conversation", f"{where} has neither role/content nor from/value")
    canonical = ROLE_ALIASES.get(role.strip().lower()) if isinstance(role, str) else None
    if canonical is None:
        raise TurnProblem("unknown_role", f"{where} has role {role!r} (known: {', '.join(sorted(ROLE_ALIASES))})")
    turn: dict[str, Any] = {"role": canonical, "content": _text_of(content, where)}
    if value.get("tool_calls"):  # an assistant's tool calls, kept as the source wrote them
        turn["tool_calls"] = value["tool_calls"]
    return turn


def parse_turns(value: Any) -> list[dict[str, Any]]:
    """A list of turn objects (OpenAI or ShareGPT keys), the same as JSON text (a CSV cell), or an HH
    transcript, as canonical turns."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            raise TurnProblem("not_a_conversation", "text starting with '[' that is not a JSON list of turns") from None
    if isinstance(value, str):
        return hh_turns(value)
    if not isinstance(value, list):
        raise TurnProblem("not_a_conversation", f"expected a list of turns, found {type(value).__name__}")
    if not value:
        raise TurnProblem("empty_conversation", "the conversation has no turns")
    return [_turn(turn, number) for number, turn in enumerate(value, 1)]


def hh_turns(transcript: str) -> list[dict[str, Any]]:
    """An Anthropic HH transcript (``\\n\\nHuman: ...\\n\\nAssistant: ...``) as turns."""
    marks = list(_HH_SPEAKER.finditer(transcript))
    if not marks or transcript[: marks[0].start()].strip():
        raise TurnProblem("not_a_conversation", "a text, not turns: expected a list of turns or a "
                          "'Human: ... Assistant: ...' transcript")
    turns = []
    for mark, following in zip(marks, [*marks[1:], None]):
        end = following.start() if following else len(transcript)
        turns.append({"role": "user" if mark.group(1) == "Human" else "assistant",
                      "content": transcript[mark.end():end].strip()})
    return turns


def conversation(turns: list[dict[str, Any]]) -> Conversation:
    """Turns ending with a user turn then the assistant's answer, as a record's parts."""
    if not turns:
        raise TurnProblem("empty_conversation", "the conversation has no turns")
    if turns[-1]["role"] != "assistant":
        reason = "ends_with_user_turn" if turns[-1]["role"] == "user" else "no_final_answer"
        raise TurnProblem(reason, f"the last of {len(turns)} turns is the {turns[-1]['role']}'s, not an assistant's answer")
    if len(turns) < 2 or turns[-2]["role"] != "user":
        before = turns[-2]["role"] if len(turns) >= 2 else "nothing"
        raise TurnProblem("no_final_user_turn",
                          f"the final answer follows {before}, not a user turn (a record ends with a user turn and its answer)")
    if not turns[-1]["content"].strip():
        raise TurnProblem("empty_final_answer", "the final assistant turn is empty")
    return Conversation(turns[:-2], turns[-2]["content"], turns[-1]["content"])


@dataclass(frozen=True)
class PreferencePair:
    conversation: Conversation  # the prompt and the chosen answer
    rejected_response: str


def preference_pair(prompt: Any, chosen: Any, rejected: Any) -> PreferencePair:
    """``prompt`` None (chosen and rejected are whole conversations), a string, or turns ending with the user's."""
    if isinstance(chosen, str) and isinstance(rejected, str) and prompt is not None:
        prompt_turns = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else parse_turns(prompt)
        chosen_turns = prompt_turns + [{"role": "assistant", "content": chosen}]
        rejected_turns = prompt_turns + [{"role": "assistant", "content": rejected}]
    else:
        chosen_turns, rejected_turns = parse_turns(chosen), parse_turns(rejected)
        if prompt is not None:
            prompt_turns = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else parse_turns(prompt)
            chosen_turns, rejected_turns = prompt_turns + chosen_turns, prompt_turns + rejected_turns
    chosen_conversation = conversation(chosen_turns)
    rejected_conversation = conversation(rejected_turns)
    if (chosen_conversation.earlier_turns, chosen_conversation.instruction) != (
            rejected_conversation.earlier_turns, rejected_conversation.instruction):
        raise TurnProblem("pair_prompt_mismatch", "chosen and rejected answer different conversations "
                          "(their turns before the final answer differ)")
    if chosen_conversation.response.strip() == rejected_conversation.response.strip():
        raise TurnProblem("chosen_equals_rejected", "the chosen and the rejected answer are the same text")
    return PreferencePair(chosen_conversation, rejected_conversation.response)
