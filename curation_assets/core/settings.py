"""What every stage's settings model shares: strict models, the text fields, identifier names."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

TextField = Literal["instruction", "input", "response"]
Kind = Literal["real", "synthetic"]
PiiAction = Literal["redact", "drop", "keep"]
# hf_disk: a Hugging Face dataset saved with save_to_disk (a folder), or one of its .arrow files.
FileFormat = Literal["jsonl", "json", "csv", "parquet", "hf_disk"]

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def identifier(name: str, what: str, why: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{what} {name!r} must be lowercase letters, digits and underscores, starting with a letter ({why})")
    return name


class Strict(BaseModel):
    """Unknown keys are errors (a typo must not be silently ignored); settings never change after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(Strict):
    enabled: bool = True
