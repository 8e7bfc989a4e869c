"""Settings of the verify stage: rule checks, code execution, the LLM judge."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from curation_assets.core.settings import Strict
from curation_assets.llm.settings import SamplingConfig

class JudgeConfig(Strict):
    """An LLM judge scores each candidate 1-5 against a rubric kept in the repo."""

    enabled: bool | Literal["auto"] = Field(default="auto", description="auto: on when an LLM endpoint is set.")
    model: str | None = Field(default=None, description="Default: llm.model.")
    rubric: str = "judge_rubric_v1"
    threshold: int = Field(default=4, ge=1, le=5)
    judge_rule_based: bool = Field(default=False, description="Also judge rule/transform records (costs requests).")
    sampling: SamplingConfig = SamplingConfig(temperature=0.0, max_tokens=400)


class VerifyConfig(Strict):
    """Checks every synthetic record passes before it is admitted."""

    min_chars: int = Field(default=1, ge=1)
    max_chars: int = Field(default=20_000, ge=1)
    check_language: bool = True
    min_language_chars: int = Field(
        default=24, ge=1, description="texts with fewer letters are too short to judge (core/text/language.py) and pass")
    code_timeout_seconds: float = Field(default=5.0, gt=0)
    code_memory_mb: int = Field(default=512, ge=32)
    code_sandbox: Literal["bwrap", "unsandboxed"] = Field(
        default="bwrap",
        description="bwrap: model-written code runs under bubblewrap (namespaces, read-only system, no network, "
                    "uid 65534; core/verify/sandbox.py), and fails verification where bwrap cannot start. "
                    "unsandboxed: rlimits and socket guards only, as this user: for trusted generators on "
                    "machines without bubblewrap.")
    code_max_processes: int = Field(default=32, ge=1, description="processes the code may have at once (fork bombs)")
    repair_rounds: int = Field(default=0, ge=0, le=3, description="LLM repair attempts for failing code.")
    judge: JudgeConfig = JudgeConfig()
