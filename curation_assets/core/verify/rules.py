"""Rule checks every synthetic record passes: non-empty, length, complete, requested format, language.

What a record must satisfy comes from its lineage's ``expect`` (set by its generator): a JSON
answer with given keys whose values appear in the input, Python code that parses, a final
answer, a language. Each failed check is one (reason, detail); a record passes with none.
"""

from __future__ import annotations

import ast
import json

from curation_assets.core.verify.settings import VerifyConfig
from curation_assets.core.synthetic.json_reply import code_block
from curation_assets.core.text.language import language_violation

Failure = tuple[str, str]


def _json_failures(response: str, expect: dict, input_: str) -> list[Failure]:
    try:
        value = json.loads(response)
    except json.JSONDecodeError as error:
        return [("invalid_json", f"response is not JSON: {error.msg} at column {error.colno}")]
    if not isinstance(value, dict):
        return [("invalid_json", f"response is JSON but a {type(value).__name__}, not an object")]
    failures = []
    missing = [key for key in expect.get("json_keys", []) if key not in value]
    if missing:
        failures.append(("missing_json_keys", f"missing keys: {', '.join(missing)}"))
    if expect.get("grounded_in_input"):
        ungrounded = [key for key, item in value.items() if isinstance(item, str) and item not in input_]
        if ungrounded:
            failures.append(("ungrounded_answer", f"values not found in the input: {', '.join(ungrounded)}"))
    return failures


def _python_failures(response: str) -> list[Failure]:
    try:
        ast.parse(code_block(response))
    except SyntaxError as error:
        return [("invalid_python", f"the code does not parse: {error.msg} (line {error.lineno})")]
    return []


def _language_failures(texts: dict[str, str], language: str, settings: VerifyConfig) -> list[Failure]:
    failures = []
    for field, text in texts.items():
        if detail := language_violation(text, frozenset({language}), settings.min_language_chars):
            failures.append(("wrong_language", f"{field}: {detail}"))
    return failures


def rule_failures(instruction: str, input_: str, response: str, lineage: dict, settings: VerifyConfig) -> list[Failure]:
    expect = lineage.get("expect") or {}
    failures: list[Failure] = []
    for field, text in (("instruction", instruction), ("response", response)):
        if not text.strip():
            failures.append((f"empty_{field}", f"{field} is empty"))
        elif len(text.strip()) < settings.min_chars:
            failures.append((f"{field}_too_short", f"{field} has {len(text.strip())} < {settings.min_chars} characters"))
    for field, text in (("instruction", instruction), ("input", input_), ("response", response)):
        if len(text) > settings.max_chars:
            failures.append((f"{field}_too_long", f"{field} has {len(text)} > {settings.max_chars} characters"))
    if "length" in (lineage.get("finish_reasons") or []) or expect.get("complete") is False:
        failures.append(("truncated", "the model stopped at max_tokens (finish_reason=length)"))
    if failures:
        return failures
    format_ = expect.get("format", "text")
    if format_ == "json":
        failures += _json_failures(response, expect, input_)
    elif format_ == "python":
        failures += _python_failures(response)
    if "final_answer" in expect and not response.rstrip().rstrip(".").endswith(expect["final_answer"]):
        failures.append(("wrong_final_answer", f"response does not end with {expect['final_answer']}"))
    language = expect.get("language")
    if settings.check_language and language:
        texts = {"instruction": instruction}
        if format_ == "text":
            texts["response"] = response
        failures += _language_failures(texts, language, settings)
    return failures
