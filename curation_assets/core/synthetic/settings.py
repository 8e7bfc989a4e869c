"""Settings of the synthetic stage: the batches and their tasks."""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from curation_assets.core.settings import PiiAction, Strict, identifier
from curation_assets.llm.settings import SamplingConfig

# A daily batch's partitions: the configured batch's name and the day, e.g. synth_word_problems_20261127.
DATED_BATCH = re.compile(r"^(?P<batch>[a-z][a-z0-9_]*)_(?P<day>\d{8})$")

RULE_TASKS = ("invoice_extraction", "form_extraction", "arithmetic", "python_function")
LLM_TASKS = ("self_instruct", "response", "paraphrase", "code", "preference")
TRANSFORM_TASKS = ("augment",)
# Tasks that draw their seed records from a configured source.
SOURCE_TASKS = ("self_instruct", "response", "paraphrase", "augment", "preference")
DEFAULT_TEMPLATES = {
    "self_instruct": "self_instruct_v1",
    "response": "response_v1",
    "paraphrase": "paraphrase_v1",
    "code": "code_v1",
    "preference": "response_v1",
}


class BatchConfig(Strict):
    """One synthetic batch: a partition of ``synthetic_batches``."""

    name: str
    task: Literal[RULE_TASKS + LLM_TASKS + TRANSFORM_TASKS]  # a tuple subscript lists each task once
    count: int = Field(ge=1, le=1_000_000)
    seed: int = 0
    domain: str = "general"
    language: str = Field(default="en", description="ISO 639-1 code the records must be written in.")
    template: str | None = Field(default=None, description="Prompt template id (LLM tasks); default per task.")
    from_source: str | None = Field(default=None, description="The source whose records seed the task.")
    transform: Literal["typos", "casing", "gender_swap"] | None = None
    # preference: answers drawn per prompt, each scored by the judge's rubric (1-5); the best and the
    # worst become a pair when their scores differ by at least min_margin (else: tie / low_margin).
    candidates: int = Field(default=2, ge=2, le=8)
    min_margin: int = Field(default=1, ge=1, le=4)
    judge_template: str = "judge_rubric_v1"
    sampling: SamplingConfig = SamplingConfig()
    # A generated record with a longer instruction, input or response is rejected (``too_long``), as
    # a loaded one is: a runaway reply fails its record, not the batch's checks.
    max_field_chars: int = Field(default=100_000, ge=1)
    license: str | None = None
    # Extraction tasks carry Faker's fake e-mails and phones on purpose: redacting them would
    # turn "extract the e-mail" into "<EMAIL>". Their batches say `pii: keep`.
    pii: PiiAction = "redact"
    daily: bool = Field(
        default=False,
        description="The daily schedule adds a new partition of this batch every day: <name>_<yyyymmdd>, "
                    "generated with a seed derived from the day.",
    )

    @field_validator("name")
    @classmethod
    def _name_isidentifier(cls, name: str) -> str:
        identifier(name, "batch name", "it becomes a partition key and the records' source")
        if DATED_BATCH.match(name):
            raise ValueError(f"batch name {name!r} must not end in _<8 digits>: that suffix names a daily batch's day")
        return name

    def on_day(self, day: str) -> "BatchConfig":
        """This batch's partition for ``day`` (yyyymmdd): its own name and a seed of its own."""
        digest = hashlib.sha256(f"{self.seed}:{day}".encode()).hexdigest()
        return self.model_copy(update={"name": dated_batch_key(self.name, day), "seed": int(digest[:8], 16)})

    @model_validator(mode="after")
    def _task_needs(self) -> "BatchConfig":
        if self.task in SOURCE_TASKS and not self.from_source:
            raise ValueError(f"batch {self.name!r}: task {self.task!r} needs 'from_source' (a configured source)")
        if self.task == "augment" and self.transform is None:
            raise ValueError(f"batch {self.name!r}: task 'augment' needs 'transform' (typos, casing, gender_swap)")
        if self.task != "augment" and self.transform is not None:
            raise ValueError(f"batch {self.name!r}: 'transform' applies only to task 'augment'")
        if self.template is not None and self.task not in LLM_TASKS:
            raise ValueError(f"batch {self.name!r}: 'template' applies only to LLM tasks {', '.join(LLM_TASKS)}")
        return self

    @property
    def generator_kind(self) -> Literal["rule", "llm", "transform"]:
        if self.task in LLM_TASKS:
            return "llm"
        return "transform" if self.task in TRANSFORM_TASKS else "rule"

    @property
    def template_id(self) -> str | None:
        return self.template or DEFAULT_TEMPLATES.get(self.task)


def dated_batch_key(batch: str, day: str) -> str:
    return f"{batch}_{day}"


class SyntheticConfig(Strict):
    batches: list[BatchConfig] = []
