"""verify: synthetic records → admitted or rejected, each check's verdict kept in lineage.

Order: rule checks (cheap) → code tests in the sandbox (with optional LLM repair rounds) →
the LLM judge. A record leaves at its first failing stage with one rejection row whose reason is
that check and whose detail lists every failure of the stage. Nothing is admitted unverified:
a judge that cannot answer (budget spent, endpoint down, unparseable score) rejects the record.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from curation_assets.core.verify.settings import VerifyConfig
from curation_assets.core.records import as_records, as_rejections, empty_rejections
from curation_assets.core.stage_result import StageResult
from curation_assets.core.synthetic.chat import ChatRequest
from curation_assets.core.synthetic.json_reply import json_object
from curation_assets.core.synthetic.llm_tasks import Complete
from curation_assets.core.synthetic.prompts import load_template
from curation_assets.core.verify.judge import judge_request, parse_judgement
from curation_assets.core.verify.rules import rule_failures
from curation_assets.core.verify.sandbox import run_tests

STAGE = "verify"
REPAIR_TEMPLATE = "code_repair_v1"


@dataclass
class JudgeSettings:
    model: str
    rubric_id: str
    threshold: int
    sampling: dict
    judge_rule_based: bool


@dataclass
class VerifyStats:
    rule_checked: int = 0
    code_run: int = 0
    repaired: int = 0
    judged: int = 0
    by_check: dict = field(default_factory=dict)


@dataclass
class _Candidate:
    row: dict
    lineage: dict
    verification: dict = field(default_factory=dict)
    failure: tuple[str, str] | None = None


def _run_code(candidate: _Candidate, settings: VerifyConfig) -> None:
    expect = candidate.lineage.get("expect") or {}
    result = run_tests(candidate.row["response"], expect.get("tests", ""), settings.code_timeout_seconds,
                       settings.code_memory_mb, settings.code_sandbox, settings.code_max_processes)
    candidate.verification["sandbox"] = {
        "passed": result.passed, "reason": result.reason, "isolation": result.isolation,
        "timeout_seconds": settings.code_timeout_seconds, "memory_mb": settings.code_memory_mb,
    }
    candidate.failure = None if result.passed else (result.reason, result.detail)


def _repair(candidates: list[_Candidate], settings: VerifyConfig, complete: Complete, model: str) -> int:
    template = load_template(REPAIR_TEMPLATE)
    repaired = 0
    for round_ in range(1, settings.repair_rounds + 1):
        failing = [c for c in candidates if c.failure is not None and c.failure[0] in ("tests_failed", "runtime_error")]
        if not failing:
            break
        requests = [
            ChatRequest.of(model, template.render(
                instruction=c.row["instruction"], solution=c.row["response"], tests=c.lineage["expect"]["tests"],
                error=c.failure[1][-1500:]), temperature=0.0, max_tokens=1024, seed=round_)
            for c in failing
        ]
        for candidate, outcome in zip(failing, complete(requests)):
            reply = json_object(outcome.content) if outcome.ok else None
            attempt = {"round": round_, "template": template.lineage(), "request_key": outcome.key}
            candidate.verification.setdefault("repairs", []).append(attempt)
            if reply is None or not isinstance(reply.get("solution"), str):
                attempt["result"] = outcome.error or "unparseable"
                continue
            previous = candidate.row["response"]
            candidate.row["response"] = f"```python\n{reply['solution'].strip()}\n```"
            _run_code(candidate, settings)
            attempt["result"] = "passed" if candidate.failure is None else candidate.failure[0]
            if candidate.failure is None:
                repaired += 1
            else:
                candidate.row["response"] = previous
    return repaired


def _judge(candidates: list[_Candidate], judge: JudgeSettings, complete: Complete) -> None:
    rubric = load_template(judge.rubric_id)
    requests = [judge_request(rubric, judge.model, judge.sampling, c.row["instruction"], c.row["input"],
                              c.row["response"]) for c in candidates]
    for candidate, outcome in zip(candidates, complete(requests)):
        record = {"model": judge.model, "rubric": rubric.lineage(), "threshold": judge.threshold,
                  "request_key": outcome.key}
        candidate.verification["judge"] = record
        if not outcome.ok:
            candidate.failure = ("judge_unavailable", f"{outcome.error}: {outcome.error_detail}")
            continue
        judgement = parse_judgement(outcome.content)
        if judgement is None:
            candidate.failure = ("judge_unparseable", f"no 1-5 score in the judge's reply {(outcome.content or '')[:200]!r}")
            continue
        record.update(score=judgement.score, rationale=judgement.rationale)
        if judgement.score < judge.threshold:
            candidate.failure = ("judge_below_threshold",
                                 f"score {judgement.score} < {judge.threshold}: {judgement.rationale}")


def verify_records(records: pd.DataFrame, settings: VerifyConfig, judge: JudgeSettings | None = None,
                   complete: Complete | None = None, repair_model: str | None = None) -> tuple[StageResult, VerifyStats]:
    stats = VerifyStats()
    candidates = [_Candidate(row, json.loads(row["lineage"])) for row in records.to_dict("records")]
    rejected: list[_Candidate] = []

    def settle(stage_candidates: list[_Candidate], check: str) -> list[_Candidate]:
        passing = []
        for candidate in stage_candidates:
            candidate.verification.setdefault("checks", []).append(check)
            if candidate.failure is None:
                passing.append(candidate)
            else:
                rejected.append(candidate)
                stats.by_check[check] = stats.by_check.get(check, 0) + 1
        return passing

    for candidate in candidates:
        failures = rule_failures(candidate.row["instruction"], candidate.row["input"], candidate.row["response"],
                                 candidate.lineage, settings)
        if failures:
            candidate.failure = (failures[0][0], "; ".join(f"{reason}: {detail}" for reason, detail in failures))
    stats.rule_checked = len(candidates)
    candidates = settle(candidates, "rules")

    coded = [c for c in candidates if (c.lineage.get("expect") or {}).get("format") == "python"]
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        list(pool.map(lambda candidate: _run_code(candidate, settings), coded))
    stats.code_run = len(coded)
    llm_coded = [c for c in coded if c.lineage.get("generator", "").startswith("llm:")]
    if settings.repair_rounds and complete is not None and repair_model and llm_coded:
        stats.repaired = _repair(llm_coded, settings, complete, repair_model)
    candidates = [c for c in candidates if c not in coded] + settle(coded, "code")

    if judge is not None and complete is not None:
        to_judge = [c for c in candidates if judge.judge_rule_based or c.lineage.get("generator", "").startswith("llm:")]
        _judge(to_judge, judge, complete)
        stats.judged = len(to_judge)
        candidates = [c for c in candidates if c not in to_judge] + settle(to_judge, "judge")

    def with_lineage(candidate: _Candidate) -> dict:
        lineage = {**candidate.lineage, "verification": candidate.verification}
        return {**candidate.row, "lineage": json.dumps(lineage, sort_keys=True, ensure_ascii=False)}

    kept_rows = [with_lineage(c) for c in candidates]
    kept = as_records(pd.DataFrame(kept_rows)) if kept_rows else as_records(records.iloc[0:0])
    kept = kept.sort_values("record_id", kind="mergesort").reset_index(drop=True)
    if rejected:
        frame = pd.DataFrame([{**with_lineage(c), "reason": c.failure[0], "detail": c.failure[1]} for c in rejected])
        rejections = as_rejections(frame, STAGE)
    else:
        rejections = empty_rejections(STAGE)
    return StageResult(kept, rejections), stats
