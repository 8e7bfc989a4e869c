"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API, with scripted faults.

Replies are deterministic functions of the request, written to look like what each prompt
template asks for (a JSON task, an answer, a paraphrase, an exercise, a judge's score), so the
pipeline's parsers and checks see realistic content. Faults are queued and consumed one per
request: 429 with Retry-After, 500, a timeout, a truncated body, a non-JSON body, empty choices,
a reply cut at max_tokens, 401.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_VOCABULARY = (
    "glacier orbit lantern quartz meadow harbor violin pepper canyon ledger falcon cobalt tundra mosaic "
    "saddle thistle beacon ferment lattice nectar prairie quiver ripple sapphire tavern umber vortex willow "
    "yarrow zephyr almond bramble cinder dune ember fjord garnet hollow inkwell juniper kestrel lagoon marble"
).split()
_VERBS = ["Summarize", "Compare", "Classify", "Rewrite", "Explain", "List", "Estimate", "Outline", "Critique"]


def _seeded(text: str) -> random.Random:
    return random.Random(int(hashlib.sha256(text.encode()).hexdigest()[:12], 16))


def default_reply(body: dict) -> tuple[str, str]:
    """(content, finish_reason) for a request, chosen by what the prompt asks for."""
    system = next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
    user = body["messages"][-1]["content"]
    rng = _seeded(json.dumps(body, sort_keys=True))
    if "strict reviewer" in system:
        low = "DEFECT" in user or rng.random() < 0.2  # about one in five answers is judged weak
        return json.dumps({"score": 2 if low else 5,
                           "rationale": "The response contains a defect." if low else "Correct and complete."}), "stop"
    if "Write ONE new task" in user:
        if "DUPLICATE" in user or body.get("seed", 0) % 5 == 4:
            # Copy the first example verbatim: the novelty filter must reject it.
            first = user.split("1. Instruction: ", 1)[1].split("\n", 1)[0]
            return json.dumps({"instruction": first, "input": ""}), "stop"
        words = rng.sample(_VOCABULARY, 6)
        instruction = f"{rng.choice(_VERBS)} how {words[0]} {words[1]} relates to {words[2]} near the {words[3]} {words[4]} {words[5]}."
        return json.dumps({"instruction": instruction, "input": ""}), "stop"
    if "Paraphrase this instruction" in user:
        original = user.rsplit("\n\n", 1)[1]
        return f"Could you please help with the following: {original[0].lower() + original[1:]}", "stop"
    if "Write one exercise about" in user:
        k = rng.randint(2, 9)
        wrong = body.get("seed", 0) % 3 == 1  # a wrong solution the repair round must fix
        solution = f"def add_k(x):\n    return x + {k + (1 if wrong else 0)}\n"
        return json.dumps({"instruction": f"Write a Python function add_k(x) that returns x plus {k}.",
                           "solution": solution, "tests": f"assert add_k(1) == {1 + k}\nassert add_k(-{k}) == 0\n"}), "stop"
    if "Running the tests failed with" in user:
        k = int(user.split("returns x plus ", 1)[1].split(".", 1)[0])
        return json.dumps({"solution": f"def add_k(x):\n    return x + {k}\n"}), "stop"
    topic = " ".join(user.split()[:8])
    # Sampling with another seed gives another answer (a preference batch draws several per prompt).
    endings = ("it depends on the details given.", "the details given decide it, so check them first.",
               "start from the details given and work through them in order.",
               "the answer follows from the details given, one step at a time.")
    return f"Here is a careful and complete answer to the request about {topic}: {endings[body.get('seed', 0) % 4]}", "stop"


class ChatServer:
    """``with ChatServer() as server:`` → ``server.base_url`` for the ``openai`` client."""

    def __init__(self, reply=default_reply, delay_seconds: float = 0.0) -> None:
        self.reply = reply
        self.delay_seconds = delay_seconds
        self.faults: deque[str] = deque()
        self.always: str | None = None  # a fault for every request
        self.received: list[dict] = []  # every request body, faults included, in arrival order
        self.in_flight = 0
        self.max_in_flight = 0
        self.timeout_sleep_seconds = 2.0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> "ChatServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def request_keys(self) -> list[str]:
        """One key per received request: its body, canonical (the same identity the cache uses)."""
        from curation_assets.core.synthetic.chat import ChatRequest

        keys = []
        for body in self.received:
            sampling = {k: v for k, v in body.items() if k not in ("model", "messages")}
            keys.append(ChatRequest.of(body["model"], body["messages"], **sampling).key())
        return keys

    def _next_fault(self) -> str | None:
        with self._lock:
            if self.always:
                return self.always
            return self.faults.popleft() if self.faults else None

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, payload: bytes, content_type="application/json", headers=None,
                      declared_length: int | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(declared_length if declared_length is not None else len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()

            def do_POST(self) -> None:
                if not self.path.endswith("/chat/completions"):
                    self._send(404, b'{"error": {"message": "not found"}}')
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    server.received.append(body)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer(body, server._next_fault())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to answer
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self, body: dict, fault: str | None) -> None:
                if server.delay_seconds:
                    time.sleep(server.delay_seconds)
                error = lambda message: json.dumps({"error": {"message": message, "type": "test"}}).encode()
                if fault == "429":
                    self._send(429, error("rate limited"), headers={"Retry-After": "1"})
                    return
                if fault == "500":
                    self._send(500, error("internal error"))
                    return
                if fault == "401":
                    self._send(401, error("invalid api key"))
                    return
                if fault == "timeout":
                    time.sleep(server.timeout_sleep_seconds)
                content, finish = server.reply(body)
                if fault == "length":
                    content, finish = content[: max(1, len(content) // 3)], "length"
                choices = [] if fault == "empty_choices" else [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
                ]
                payload = json.dumps({
                    "id": "chatcmpl-test", "object": "chat.completion", "created": 1_700_000_000,
                    "model": body["model"], "choices": choices,
                    "usage": {"prompt_tokens": 10, "completion_tokens": max(1, len(content) // 4),
                              "total_tokens": 10 + max(1, len(content) // 4)},
                }).encode()
                if fault == "truncated":
                    self._send(200, payload[: len(payload) // 2], declared_length=len(payload))
                    self.close_connection = True
                    return
                if fault == "non_json":
                    self._send(200, b"<html><body>502 Bad Gateway</body></html>", content_type="text/html")
                    return
                self._send(200, payload)

        return Handler
