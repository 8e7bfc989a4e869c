"""What a generator asks an LLM and what it gets back; pure data, no client."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[tuple[str, str], ...]  # (role, content)
    sampling: tuple[tuple[str, object], ...]  # sorted (name, value): temperature, top_p, max_tokens, seed

    @staticmethod
    def of(model: str, messages: list[dict[str, str]], **sampling) -> "ChatRequest":
        return ChatRequest(
            model=model,
            messages=tuple((m["role"], m["content"]) for m in messages),
            sampling=tuple(sorted((k, v) for k, v in sampling.items() if v is not None)),
        )

    def payload(self) -> dict:
        return {
            "model": self.model,
            "messages": [{"role": role, "content": content} for role, content in self.messages],
            **dict(self.sampling),
        }

    def key(self) -> str:
        """The cache key: identical model, messages and sampling parameters mean an identical request."""
        canonical = json.dumps(self.payload(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChatOutcome:
    """A completion, or why there is none (``error``: budget_exhausted, request_failed, ...)."""

    key: str
    content: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    from_cache: bool = False
    received_at: str | None = None  # ISO time the endpoint answered (kept in the cache)
    error: str | None = None
    error_detail: str = ""
    attempts: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None
