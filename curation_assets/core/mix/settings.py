"""Settings of the mix stage."""

from __future__ import annotations

from pydantic import Field, field_validator

from curation_assets.core.settings import Strict

class RecordDomainsConfig(Strict):
    """Each record's own domain for the caps, from a classifier trained on sources of one known domain each."""

    trained_on: list[str] = Field(min_length=1, description="Sources (or batches) whose configured domain is "
                                  "true of every record: the classifier learns from them; two domains or more.")
    min_confidence: float = Field(default=0.05, ge=0.0, le=1.0, description="The predicted domain's similarity "
                                  "margin over the runner-up below which a record keeps its source's domain.")
    sample: int = Field(default=20_000, ge=10, description="Records (a seeded sample) the embedder and classifier learn from.")
    dimensions: int = Field(default=128, ge=2, le=512)
    seed: int = 0


class MixConfig(Strict):
    """Caps on synthetic data. Real records are never dropped by mixing."""

    max_synthetic_fraction: float = Field(default=0.5, ge=0.0, le=1.0)
    domain_targets: dict[str, float] = Field(
        default_factory=dict, description="Target share of the mix per domain; empty: no domain caps."
    )
    record_domains: RecordDomainsConfig | None = Field(
        default=None, description="null: a record's domain is its source's; set: each record's own, predicted.")

    @field_validator("domain_targets")
    @classmethod
    def _targets_are_shares(cls, targets: dict[str, float]) -> dict[str, float]:
        if targets:
            if any(share < 0 for share in targets.values()):
                raise ValueError("domain_targets must be non-negative shares")
            if abs(sum(targets.values()) - 1.0) > 1e-6:
                raise ValueError(f"domain_targets must add up to 1; they add up to {sum(targets.values()):g}")
        return dict(sorted(targets.items()))
