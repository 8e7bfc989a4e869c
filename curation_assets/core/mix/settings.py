"""Settings of the mix stage."""

from __future__ import annotations

from pydantic import Field, field_validator

from curation_assets.core.settings import Strict

class MixConfig(Strict):
    """Caps on synthetic data. Real records are never dropped by mixing."""

    max_synthetic_fraction: float = Field(default=0.5, ge=0.0, le=1.0)
    domain_targets: dict[str, float] = Field(
        default_factory=dict, description="Target share of the mix per domain; empty: no domain caps."
    )

    @field_validator("domain_targets")
    @classmethod
    def _targets_are_shares(cls, targets: dict[str, float]) -> dict[str, float]:
        if targets:
            if any(share < 0 for share in targets.values()):
                raise ValueError("domain_targets must be non-negative shares")
            if abs(sum(targets.values()) - 1.0) > 1e-6:
                raise ValueError(f"domain_targets must add up to 1; they add up to {sum(targets.values()):g}")
        return dict(sorted(targets.items()))
