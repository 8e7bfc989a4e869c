"""Verification of synthetic records: rule checks, the code sandbox, judge replies."""

from __future__ import annotations

from curation_assets.core.verify.settings import VerifyConfig
from curation_assets.core.verify.judge import parse_judgement
from curation_assets.core.verify.rules import rule_failures
from curation_assets.core.verify.sandbox import run_tests


def _check(response, expect, instruction="Extract the total amount due from the invoice shown below.", input_="Total: 12.50"):
    return [reason for reason, _ in rule_failures(instruction, input_, response, {"expect": expect}, VerifyConfig())]


def test_rule_checks_catch_empty_invalid_json_missing_keys_ungrounded_values_and_bad_code():
    json_expect = {"format": "json", "json_keys": ["total"], "grounded_in_input": True, "language": "en"}
    assert _check('{"total": "12.50"}', json_expect) == []
    assert _check("", json_expect) == ["empty_response"]
    assert _check("total is 12.50", json_expect) == ["invalid_json"]
    assert _check('{"sum": "12.50"}', json_expect) == ["missing_json_keys"]
    assert _check('{"total": "99.99"}', json_expect) == ["ungrounded_answer"]
    assert _check("```python\ndef f(:\n```", {"format": "python"}) == ["invalid_python"]


def test_rule_checks_catch_truncation_and_the_wrong_language():
    assert _check("A long answer that was cut", {"complete": False}) == ["truncated"]
    german = "Bitte fasse den folgenden Text in drei kurzen Sätzen zusammen und nenne die wichtigsten Punkte."
    assert _check("Fine.", {"language": "en"}, instruction=german) == ["wrong_language"]
    assert _check("Fine.", {"language": "de"}, instruction=german) == []


def test_sandbox_admits_passing_code_and_names_failures_timeouts_memory_and_network():
    limits = dict(timeout_seconds=2, memory_mb=256)
    assert run_tests("def f(x):\n    return x + 1\n", "assert f(1) == 2\n", **limits).passed
    assert run_tests("def f(x):\n    return x\n", "assert f(1) == 2\n", **limits).reason == "tests_failed"
    assert run_tests("def f(x):\n    while True:\n        pass\n", "f(1)\n", **limits).reason == "timeout"
    assert run_tests("def f(x):\n    return bytearray(1 << 31)\n", "f(1)\n", **limits).reason == "memory_exceeded"
    network = "import socket\ndef f():\n    return socket.create_connection(('127.0.0.1', 9))\n"
    assert run_tests(network, "f()\n", **limits).reason == "network_blocked"
    assert run_tests("import os\ndef f():\n    return os.getcwd()\n", "assert f() == '/sandbox'\n", **limits).passed
    assert run_tests("import os\n", "assert 'HOME' not in os.environ\n", **limits).passed


def test_judge_replies_parse_to_a_score_and_rationale_or_nothing():
    assert parse_judgement('{"score": 4, "rationale": "fine"}').score == 4
    assert parse_judgement('```json\n{"score": "5", "rationale": "ok"}\n```').score == 5
    assert parse_judgement('{"score": 7}') is None and parse_judgement("five") is None and parse_judgement(None) is None
