"""Prompt templates and rubrics: versioned YAML files in ``curation_assets/prompts``.

A template's identity in lineage is its id plus the hash of its file, so an edited prompt is
visible in every record it produced, and (through the request) it misses the LLM cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"


class TemplateError(ValueError):
    """A prompt template is missing or malformed."""


@dataclass(frozen=True)
class PromptTemplate:
    id: str
    sha256: str
    system: str
    user: str

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]

    def render(self, **values: str) -> list[dict[str, str]]:
        try:
            return [
                {"role": "system", "content": self.system.strip()},
                {"role": "user", "content": self.user.format(**values).strip()},
            ]
        except KeyError as missing:
            raise TemplateError(f"template {self.id}: no value for placeholder {missing}") from None

    def lineage(self) -> dict[str, str]:
        return {"id": self.id, "sha256": self.short_hash}


@lru_cache(maxsize=None)
def load_template(template_id: str, folder: str | None = None) -> PromptTemplate:
    path = Path(folder or PROMPTS_DIR) / f"{template_id}.yaml"
    if not path.is_file():
        available = sorted(p.stem for p in Path(folder or PROMPTS_DIR).glob("*.yaml"))
        raise TemplateError(f"prompt template {template_id!r} not found at {path}; available: {', '.join(available)}")
    data = path.read_bytes()
    spec = yaml.safe_load(data)
    if not isinstance(spec, dict) or spec.get("id") != template_id or not spec.get("user"):
        raise TemplateError(f"prompt template {path} must be a mapping with id: {template_id} and a user prompt")
    return PromptTemplate(
        id=template_id, sha256=hashlib.sha256(data).hexdigest(), system=spec.get("system", ""), user=spec["user"]
    )
