"""Chat completions from any OpenAI-compatible endpoint: cached, bounded, retried, budgeted.

- Cache first: requests already in the warehouse cache are answered from it and cost nothing.
- At most ``max_concurrency`` requests in flight (a thread pool).
- Our own retries (the ``openai`` client's are off): 429 waits what Retry-After / retry-after-ms
  says; 5xx, timeouts, connection errors, unreadable bodies and empty ``choices`` back off
  exponentially. 401/403/404 stop the whole run: retrying cannot fix a key or a model name.
- A budget of requests and tokens per Dagster run: when spent, no new request starts and the
  remaining items come back as ``budget_exhausted`` (recorded, not lost; the next run resumes).
"""

from __future__ import annotations

import email.utils
import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable
from dataclasses import dataclass

import openai

from curation_assets.core.synthetic.chat import ChatOutcome, ChatRequest
from curation_assets.engine.progress import StepProgress
from curation_assets.llm.cache import LLMCache, utc_now


class LLMFatalError(RuntimeError):
    """The endpoint refuses every request (bad key, unknown model or URL): stop, do not retry."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0

    def backoff(self, attempt: int, key: str) -> float:
        # Deterministic jitter from the request key spreads retries without a random source.
        jitter = 0.5 + int(hashlib.sha256(f"{key}:{attempt}".encode()).hexdigest()[:4], 16) / 0xFFFF
        return min(self.max_backoff_seconds, self.backoff_seconds * (2 ** (attempt - 1)) * jitter)


class Budget:
    """Requests and tokens a run may spend; thread-safe. A request is reserved before it is sent."""

    def __init__(self, max_requests: int, max_tokens: int, spent_requests: int = 0, spent_tokens: int = 0) -> None:
        self.max_requests, self.max_tokens = max_requests, max_tokens
        self.requests, self.tokens = spent_requests, spent_tokens
        self._lock = threading.Lock()

    def reserve(self) -> bool:
        with self._lock:
            if self.requests >= self.max_requests or self.tokens >= self.max_tokens:
                return False
            self.requests += 1
            return True

    def add_tokens(self, tokens: int) -> None:
        with self._lock:
            self.tokens += tokens

    @property
    def exhausted(self) -> bool:
        with self._lock:
            return self.requests >= self.max_requests or self.tokens >= self.max_tokens


def retry_after_seconds(headers) -> float | None:
    """Retry-After as seconds (``retry-after-ms``, delta-seconds or an HTTP date), or None."""
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return None if parsed is None else max(0.0, parsed.timestamp() - time.time())


@dataclass
class CompletionStats:
    requested: int = 0
    cache_hits: int = 0
    sent: int = 0  # HTTP requests, retries included
    failed: int = 0
    budget_exhausted: int = 0


class LLMClient:
    def __init__(self, client: openai.OpenAI, cache: LLMCache, budget: Budget, retry: RetryPolicy,
                 max_concurrency: int, sleep=time.sleep, progress: Callable[[str], None] | None = None) -> None:
        self.client = client
        self.cache = cache
        self.budget = budget
        self.retry = retry
        self.max_concurrency = max_concurrency
        self.sleep = sleep
        self.progress = progress  # told "answered N / total" about ten times per call, for the step's log
        self.stats = CompletionStats()
        self._stats_lock = threading.Lock()
        self._fatal: LLMFatalError | None = None

    def complete(self, requests: list[ChatRequest]) -> list[ChatOutcome]:
        """One outcome per request, in order. Cached requests are not sent; new replies are cached."""
        if not requests:
            return []
        cached = self.cache.lookup(requests)
        missing: dict[str, ChatRequest] = {}
        for request in requests:
            if request.key() not in cached:
                missing.setdefault(request.key(), request)
        self.stats.requested += len(requests)
        self.stats.cache_hits += len(requests) - sum(1 for r in requests if r.key() in missing)
        fresh: dict[str, ChatOutcome] = {}
        if missing:
            self.cache.start()
            try:
                every = max(1, min(100, len(missing) // 10))
                with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="llm") as pool, \
                        StepProgress("LLM requests", len(missing), unit="requests") as bar:
                    for done, outcome in enumerate(pool.map(self._complete_one, missing.values()), start=1):
                        fresh[outcome.key] = outcome
                        bar.advance(1)
                        if self.progress is not None and (done % every == 0 or done == len(missing)):
                            self.progress(f"LLM requests answered {done:,} / {len(missing):,} "
                                          f"({len(requests) - len(missing):,} more from the cache)")
            finally:
                self.cache.close()
            if self._fatal is not None:
                raise self._fatal
        return [cached.get(request.key()) or fresh[request.key()] for request in requests]

    def _count(self, **increments: int) -> None:
        with self._stats_lock:
            for name, value in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)

    def _complete_one(self, request: ChatRequest) -> ChatOutcome:
        key = request.key()
        last_error, detail = "request_failed", ""
        for attempt in range(1, self.retry.max_attempts + 1):
            if self._fatal is not None:
                return ChatOutcome(key, error="run_stopped", error_detail=str(self._fatal), attempts=attempt - 1)
            if not self.budget.reserve():
                self._count(budget_exhausted=1)
                return ChatOutcome(key, error="budget_exhausted", attempts=attempt - 1, error_detail=(
                    f"run budget spent: {self.budget.requests}/{self.budget.max_requests} requests, "
                    f"{self.budget.tokens}/{self.budget.max_tokens} tokens"))
            self._count(sent=1)
            wait = None
            try:
                response = self.client.chat.completions.create(**request.payload())
            except openai.RateLimitError as error:
                wait = retry_after_seconds(error.response.headers)
                last_error, detail = "rate_limited", f"HTTP 429 (Retry-After {wait if wait is not None else 'absent'})"
                if wait is not None and wait > self.retry.max_backoff_seconds:
                    self.cache.put(request, None)
                    break  # waiting that long is not a retry; the next run resumes it
            except (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError) as error:
                self._fatal = LLMFatalError(
                    f"the endpoint refused the request (HTTP {error.status_code}): {error.message}; "
                    "check llm.base_url, llm.model and the API key variable")
                self.cache.put(request, None)
                return ChatOutcome(key, error="request_refused", error_detail=str(error), attempts=attempt)
            except openai.BadRequestError as error:
                self.cache.put(request, None)
                self._count(failed=1)
                return ChatOutcome(key, error="bad_request", error_detail=f"HTTP 400: {error.message}"[:500],
                                   attempts=attempt)
            except openai.APITimeoutError:
                last_error, detail = "timeout", f"no answer within the timeout (attempt {attempt})"
            except openai.APIStatusError as error:
                last_error, detail = "server_error", f"HTTP {error.status_code}: {str(error.message)[:200]}"
            except (openai.APIConnectionError, openai.APIResponseValidationError, ValueError) as error:
                last_error, detail = "bad_response", f"{type(error).__name__}: {str(error)[:200]}"
            else:
                outcome = self._outcome(key, response, attempt)
                if outcome is not None:
                    self.budget.add_tokens(outcome.prompt_tokens + outcome.completion_tokens)
                    self.cache.put(request, outcome)
                    return outcome
                last_error, detail = "empty_choices", "the endpoint answered 200 with no choices"
            self.cache.put(request, None)  # a paid request that produced nothing
            if attempt < self.retry.max_attempts:
                self.sleep(wait if wait is not None else self.retry.backoff(attempt, key))
        self._count(failed=1)
        return ChatOutcome(key, error="request_failed", attempts=self.retry.max_attempts,
                           error_detail=f"{last_error}: {detail}")

    @staticmethod
    def _outcome(key: str, response, attempt: int) -> ChatOutcome | None:
        choices = getattr(response, "choices", None)
        if not choices:
            return None
        choice = choices[0]
        message = getattr(choice, "message", None)
        usage = getattr(response, "usage", None)
        return ChatOutcome(
            key=key,
            content=getattr(message, "content", None) or "",
            finish_reason=getattr(choice, "finish_reason", None),
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            received_at=utc_now(),
            attempts=attempt,
        )
