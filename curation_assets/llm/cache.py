"""The LLM response cache in the warehouse, written by one background thread as responses arrive.

Each flush is one short transaction under the warehouse lock holding every response that arrived
since the last one, so a crash loses at most the requests in flight and the last few replies.
"""

from __future__ import annotations

import json
import queue
import threading
from datetime import datetime, timezone

import pandas as pd

from curation_assets.core.synthetic.chat import ChatOutcome, ChatRequest
from curation_assets.storage.sql_files import sql
from curation_assets.storage.warehouse import Warehouse

_STOP = object()


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class LLMCache:
    def __init__(self, warehouse: Warehouse, run_id: str) -> None:
        self.warehouse = warehouse
        self.run_id = run_id
        self._queue: queue.Queue = queue.Queue()
        self._writer: threading.Thread | None = None
        self._error: BaseException | None = None
        self.rows_written = 0

    def lookup(self, requests: list[ChatRequest]) -> dict[str, ChatOutcome]:
        keys = pd.DataFrame({"request_key": sorted({request.key() for request in requests})})
        with self.warehouse.connect() as connection:
            connection.execute(sql("create_llm_cache"))
            connection.register("wanted_keys", keys)
            rows = connection.execute(sql("lookup_llm_cache")).fetchall()
        return {
            key: ChatOutcome(key=key, content=content, finish_reason=finish, prompt_tokens=int(prompt or 0),
                             completion_tokens=int(completion or 0), from_cache=True, received_at=received)
            for key, content, finish, prompt, completion, received in rows
        }

    def spent_in_run(self) -> tuple[int, int]:
        with self.warehouse.connect() as connection:
            connection.execute(sql("create_llm_cache"))
            requests, tokens = connection.execute(sql("run_llm_spend"), {"run_id": self.run_id}).fetchone()
        return int(requests), int(tokens)

    # -- writing ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._writer = threading.Thread(target=self._write_loop, name="llm-cache-writer", daemon=True)
        self._writer.start()

    def put(self, request: ChatRequest, outcome: ChatOutcome | None, paid_requests: int = 1) -> None:
        """Queue a completion (``outcome``) or, with None, a paid request that produced nothing."""
        self._queue.put((request, outcome, paid_requests))

    def close(self) -> None:
        """Flush what is queued and stop the writer; raise if a write failed."""
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join()
            self._writer = None
        if self._error is not None:
            raise RuntimeError(f"writing the LLM cache to {self.warehouse.path} failed") from self._error

    def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            entries = [self._queue.get()]
            while True:
                try:
                    entries.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = any(entry is _STOP for entry in entries)
            entries = [entry for entry in entries if entry is not _STOP]
            if entries and self._error is None:
                try:
                    self._flush(entries)
                except BaseException as error:  # reported by close(); the run must not think it is cached
                    self._error = error

    def _flush(self, entries: list) -> None:
        rows = [
            {
                "request_key": outcome.key, "model": request.model,
                "request": json.dumps(request.payload(), sort_keys=True, ensure_ascii=False),
                "content": outcome.content, "finish_reason": outcome.finish_reason,
                "prompt_tokens": outcome.prompt_tokens, "completion_tokens": outcome.completion_tokens,
                "received_at": outcome.received_at, "run_id": self.run_id,
            }
            for request, outcome, _ in entries if outcome is not None
        ]
        spend = {
            "run_id": self.run_id,
            "requests": sum(paid for _, _, paid in entries),
            "prompt_tokens": sum(o.prompt_tokens for _, o, _ in entries if o is not None),
            "completion_tokens": sum(o.completion_tokens for _, o, _ in entries if o is not None),
            "recorded_at": utc_now(),
        }
        with self.warehouse.connect() as connection:
            connection.execute(sql("create_llm_cache"))
            connection.execute("BEGIN TRANSACTION")
            try:
                if rows:
                    frame = pd.DataFrame(rows).astype({"prompt_tokens": "int64", "completion_tokens": "int64"})
                    connection.register("arrived_completions", frame)
                    connection.execute(sql("insert_llm_cache"))
                connection.execute(sql("insert_llm_spend"), spend)
                connection.execute("COMMIT")
            except Exception:
                connection.execute("ROLLBACK")
                raise
        self.rows_written += len(rows)
