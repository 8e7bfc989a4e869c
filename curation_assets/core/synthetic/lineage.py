"""The lineage every synthetic record carries, as one JSON object in the ``lineage`` column."""

from __future__ import annotations

import hashlib
import json

from curation_assets.core.synthetic.settings import BatchConfig


def batch_fingerprint(batch: BatchConfig, extra: dict | None = None) -> str:
    """A short hash of everything that decides a batch's content."""
    payload = json.dumps({"batch": batch.model_dump(mode="json"), **(extra or {})}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def synthetic_lineage(
    batch: BatchConfig,
    generator: str,
    label: str,
    generated_at: str,
    seed_record_ids: list[str] | None = None,
    templates: list[dict] | None = None,
    sampling: dict | None = None,
    expect: dict | None = None,
    license_: str | None = None,
    **extra,
) -> dict:
    """``expect`` tells verification what to check (format, language, tests); the rest is provenance."""
    return {
        "source": batch.name,
        "kind": "synthetic",
        "label": label,
        "batch": batch.name,
        "task": batch.task,
        "domain": batch.domain,
        "generator": generator,
        "prompt_templates": templates or [],
        "seed_record_ids": seed_record_ids or [],
        "sampling": sampling,
        "generated_at": generated_at,
        "license": license_,
        "expect": {"language": batch.language, **(expect or {})},
        **extra,
    }


def dumps(lineage: dict) -> str:
    return json.dumps(lineage, sort_keys=True, ensure_ascii=False)
