"""The LLM client: the real `openai` client against a real HTTP server on 127.0.0.1, with faults."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llm_server import ChatServer
from support import REPO_ROOT, query
from curation_assets.core.synthetic.chat import ChatRequest
from curation_assets.defs.resources import LLMResource
from curation_assets.llm.client import LLMFatalError
from curation_assets.llm.settings import LLMConfig
from curation_assets.storage.warehouse import Warehouse


def _requests(count: int, tag: str = "q") -> list[ChatRequest]:
    return [ChatRequest.of("test-model", [{"role": "user", "content": f"{tag} question {i}?"}], temperature=0.0, seed=i)
            for i in range(count)]


def _client(server: ChatServer, warehouse: Warehouse, run_id: str = "run-1", **settings):
    options = dict(base_url=server.base_url, model="test-model", timeout_seconds=0.5, max_attempts=4,
                   backoff_seconds=0.01, max_backoff_seconds=5.0, max_concurrency=2)
    options.update(settings)
    return LLMResource.from_settings(LLMConfig(**options)).client(warehouse, run_id)


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse.duckdb")


def test_a_429_is_retried_after_the_retry_after_header(warehouse):
    with ChatServer() as server:
        server.faults.extend(["429"])
        started = time.monotonic()
        [outcome] = _client(server, warehouse).complete(_requests(1))
        elapsed = time.monotonic() - started
    assert outcome.ok and outcome.attempts == 2
    assert len(server.received) == 2
    assert elapsed >= 1.0  # Retry-After: 1


@pytest.mark.parametrize("fault", ["500", "timeout", "truncated", "non_json", "empty_choices"])
def test_a_transient_fault_is_retried_until_an_answer(warehouse, fault):
    with ChatServer() as server:
        server.faults.extend([fault, fault])
        [outcome] = _client(server, warehouse).complete(_requests(1))
    assert outcome.ok, outcome
    assert outcome.content.startswith("Here is a careful")
    assert len(server.received) == 3


def test_a_request_that_keeps_failing_comes_back_as_a_failure_with_the_reason(warehouse):
    with ChatServer() as server:
        server.always = "500"
        client = _client(server, warehouse)
        [outcome] = client.complete(_requests(1))
    assert outcome.error == "request_failed" and "HTTP 500" in outcome.error_detail
    assert len(server.received) == 4 == outcome.attempts
    assert client.stats.failed == 1
    # Failed requests are not cached: the next run asks again.
    assert query(warehouse.path, "SELECT count(*) FROM llm_cache")[0][0] == 0
    assert query(warehouse.path, "SELECT sum(requests) FROM llm_spend")[0][0] == 4


def test_progress_reports_answered_requests_about_ten_times_ending_with_the_total(warehouse):
    heard: list[str] = []
    with ChatServer() as server:
        client = LLMResource.from_settings(LLMConfig(base_url=server.base_url, model="test-model", max_concurrency=4)).client(
            warehouse, "run-1", progress=heard.append)
        client.complete(_requests(5, tag="cached"))
        heard.clear()
        client.complete(_requests(5, tag="cached") + _requests(40))
    assert len(heard) == 10
    assert heard[0] == "LLM requests answered 4 / 40 (5 more from the cache)"
    assert heard[-1] == "LLM requests answered 40 / 40 (5 more from the cache)"


def test_identical_requests_are_answered_from_the_warehouse_cache(warehouse):
    with ChatServer() as server:
        first = _client(server, warehouse).complete(_requests(5))
        second_client = _client(server, warehouse, run_id="run-2")
        second = second_client.complete(_requests(5) + _requests(5))
    assert len(server.received) == 5
    assert [o.content for o in second[:5]] == [o.content for o in first] == [o.content for o in second[5:]]
    assert all(o.from_cache for o in second) and second_client.stats.cache_hits == 10


def test_the_budget_stops_cleanly_and_the_next_run_resumes_without_repeating_a_request(warehouse):
    requests = _requests(8)
    with ChatServer() as server:
        outcomes = _client(server, warehouse, max_requests_per_run=3, max_concurrency=1).complete(requests)
        assert [o.error for o in outcomes].count("budget_exhausted") == 5
        assert sum(o.ok for o in outcomes) == 3
        resumed = _client(server, warehouse, run_id="run-2").complete(requests)
        keys = server.request_keys()
    assert all(o.ok for o in resumed)
    assert len(keys) == 8 and len(set(keys)) == 8  # every request paid for exactly once


def test_the_budget_counts_what_earlier_steps_of_the_same_run_spent(warehouse):
    with ChatServer() as server:
        _client(server, warehouse, max_requests_per_run=4).complete(_requests(3, "a"))
        outcomes = _client(server, warehouse, max_requests_per_run=4).complete(_requests(3, "b"))
    assert sum(o.ok for o in outcomes) == 1
    assert len(server.received) == 4


def test_no_more_requests_are_in_flight_than_the_concurrency_limit(warehouse):
    with ChatServer(delay_seconds=0.15) as server:
        outcomes = _client(server, warehouse, max_concurrency=3).complete(_requests(12))
    assert all(o.ok for o in outcomes)
    assert server.max_in_flight == 3


def test_a_refused_api_key_stops_the_run_with_a_clear_error(warehouse):
    with ChatServer() as server:
        server.always = "401"
        with pytest.raises(LLMFatalError, match="HTTP 401.*API key"):
            _client(server, warehouse, max_concurrency=1).complete(_requests(3))
        assert len(server.received) == 1


_CRASHING_RUN = """
import sys
sys.path[:0] = {paths!r}  # this file's folder, and the helpers' (llm_server) it imports
from test_llm_client import _requests
from curation_assets.defs.resources import LLMResource
from curation_assets.llm.settings import LLMConfig
from curation_assets.storage.warehouse import Warehouse
client = LLMResource.from_settings(LLMConfig(base_url={url!r}, model="test-model", max_concurrency=2)).client(Warehouse({path!r}), "crashing-run")
client.complete(_requests(30))
"""


@pytest.mark.slow
@pytest.mark.e2e
def test_a_run_killed_mid_batch_keeps_every_cached_response_and_the_rerun_pays_only_for_the_rest(warehouse):
    with ChatServer(delay_seconds=0.1) as server:
        script = _CRASHING_RUN.format(paths=[str(Path(__file__).parent), str(REPO_ROOT / "curation_tests")], url=server.base_url,
                                      path=str(warehouse.path))
        child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO_ROOT, env=dict(os.environ))
        deadline = time.monotonic() + 60
        # Kill two thirds of the way: about 18 answers are in, and the cache writer (which flushes
        # whatever has arrived, between answers) can lag a few behind on a loaded machine.
        while len(server.received) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
        before_rerun = len(server.received)
        cached = {row[0] for row in query(warehouse.path, "SELECT request_key FROM llm_cache")}
        outcomes = _client(server, warehouse, run_id="rerun").complete(_requests(30))
        rerun_keys = server.request_keys()[before_rerun:]
    assert 5 <= len(cached) < 30  # progress survived the kill
    assert all(o.ok for o in outcomes)
    assert not cached & set(rerun_keys)  # nothing cached was paid for again
    assert len(set(rerun_keys)) == len(rerun_keys) == 30 - len(cached)
