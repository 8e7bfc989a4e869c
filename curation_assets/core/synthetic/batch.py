"""One synthetic batch → canonical records plus the planned items that yielded none (stage ``generate``).

In = out + rejected holds per batch: every planned item is either a record or a rejection row
(budget exhausted, request failed, unparseable reply, not novel, transform changed nothing).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pandas as pd

from curation_assets.core.synthetic.settings import BatchConfig
from curation_assets.core.records import (as_records, as_rejections, cut_to, empty_records, empty_rejections,
                                          over_long_fields, record_id)
from curation_assets.core.synthetic import lineage as lineage_
from curation_assets.core.synthetic.augment import TRANSFORMS
from curation_assets.core.synthetic.llm_tasks import LLM_TASKS, Complete
from curation_assets.core.synthetic.rule_tasks import RULE_GENERATORS

STAGE = "synthetic"
RULE_LABEL = "rule-based synthetic (templates and Faker), not model output"
TRANSFORM_LABEL = "transformation-based augmentation of a real record"
LLM_LABEL = "LLM-generated synthetic"


@dataclass
class BatchResult:
    records: pd.DataFrame
    rejections: pd.DataFrame
    planned: int
    notes: dict = field(default_factory=dict)


def _frames(batch: BatchConfig, rows: list[dict], rejected: list[dict], planned: int, notes: dict) -> BatchResult:
    fitting = []
    for row in rows:
        texts = {name: row.get(name, "") for name in ("instruction", "input", "response", "rejected_response")}
        too_long = over_long_fields(texts, batch.max_field_chars)
        if too_long is None:
            fitting.append(row)
            continue
        cut = cut_to(texts, batch.max_field_chars)
        rejected.append(_rejection(batch, row["source_position"], "too_long", too_long, row["lineage"],
                                   cut["instruction"], cut["input"], cut["response"]))
    rows = fitting
    for row in rows + rejected:
        row.update(source=batch.name, kind="synthetic")
        row["lineage"] = lineage_.dumps(row["lineage"])
    records = as_records(pd.DataFrame(rows)) if rows else empty_records()
    rejections = as_rejections(pd.DataFrame(rejected), STAGE) if rejected else empty_rejections(STAGE)
    return BatchResult(records, rejections, planned, notes)


def _row(batch: BatchConfig, position: int, instruction: str, input_: str, response: str, lineage: dict,
         rejected_response: str = "") -> dict:
    return {
        "record_id": record_id(batch.name, position, None, instruction, input_, response, rejected_response),
        "source_position": position, "instruction": instruction, "input": input_, "response": response,
        "rejected_response": rejected_response, "lineage": lineage,
    }


def _rejection(batch: BatchConfig, position: int, reason: str, detail: str, lineage: dict,
               instruction: str | None = None, input_: str | None = None, response: str | None = None) -> dict:
    return {
        # Planned items that yielded nothing still need an id: where they were planned, and why not.
        "record_id": record_id(batch.name, position, None, instruction or "", input_ or "", f"{STAGE}:{reason}"),
        "source_position": position, "reason": reason, "detail": detail, "lineage": lineage,
        "instruction": instruction, "input": input_, "response": response,
    }


def rule_batch(batch: BatchConfig, license_: str, generated_at: str, fingerprint: str = "") -> BatchResult:
    items = RULE_GENERATORS[batch.task](batch.count, batch.seed, batch.language)
    rows = []
    for position, item in enumerate(items):
        lineage = lineage_.synthetic_lineage(
            batch, generator=f"rule:{batch.task}", label=RULE_LABEL, generated_at=generated_at,
            sampling={"seed": batch.seed}, expect=item.expect, license_=license_, position=position,
            fingerprint=fingerprint, **item.meta,
        )
        rows.append(_row(batch, position, item.instruction, item.input, item.response, lineage))
    return _frames(batch, rows, [], len(items), {})


def transform_batch(batch: BatchConfig, seeds: pd.DataFrame, license_: str, generated_at: str,
                    fingerprint: str = "") -> BatchResult:
    eligible = seeds[seeds["instruction"].fillna("").str.strip().ne("")].sort_values("record_id", kind="mergesort")
    picked = eligible if len(eligible) <= batch.count else eligible.sample(n=batch.count, random_state=batch.seed)
    picked = picked.sort_values("record_id", kind="mergesort")
    transform = TRANSFORMS[batch.transform]
    rows, rejected = [], []
    for position, seed in enumerate(picked.itertuples(index=False)):
        rng = random.Random(batch.seed * 1_000_003 + position)
        result = transform(seed.instruction, seed.input or "", seed.response or "", rng)
        lineage = lineage_.synthetic_lineage(
            batch, generator=f"transform:{batch.transform}", label=TRANSFORM_LABEL, generated_at=generated_at,
            seed_record_ids=[seed.record_id], sampling={"seed": batch.seed}, license_=license_,
            transform={"name": batch.transform, "edits": result.changes, "parent_source": seed.source},
            position=position, fingerprint=fingerprint,
        )
        if result.changes == 0:
            rejected.append(_rejection(batch, position, "transform_no_change",
                                       f"{batch.transform} changed nothing in {seed.record_id}", lineage,
                                       seed.instruction, seed.input, seed.response))
            continue
        rows.append(_row(batch, position, result.instruction, result.input, result.response, lineage))
    notes = {"seed_records_available": int(len(eligible))}
    return _frames(batch, rows, rejected, len(picked), notes)


def llm_batch(batch: BatchConfig, model: str, seeds: pd.DataFrame | None, complete: Complete,
              license_: str) -> BatchResult:
    items = LLM_TASKS[batch.task](batch, model, seeds if seeds is not None else empty_records(), complete)
    rows, rejected = [], []
    for item in items:
        lineage = lineage_.synthetic_lineage(
            batch, generator=f"llm:{model}", label=LLM_LABEL, generated_at=item.received_at or "",
            seed_record_ids=item.seed_ids, templates=item.templates, sampling=batch.sampling.model_dump(),
            expect=item.expect, license_=license_, request_keys=item.requests,
            finish_reasons=item.finish_reasons, position=item.position, **item.extra,
        )
        if item.problem is not None:
            reason, detail = item.problem
            rejected.append(_rejection(batch, item.position, reason, detail, lineage,
                                       item.instruction or None, item.input or None, item.response or None))
            continue
        rows.append(_row(batch, item.position, item.instruction, item.input, item.response, lineage,
                         item.rejected_response))
    notes = {"planned": len(items)}
    return _frames(batch, rows, rejected, len(items), notes)
