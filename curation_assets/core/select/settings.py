"""Settings of the selection: the budget, the quality score's weights and the coverage constraints."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from curation_assets.core.settings import Strict


class QualityWeights(Strict):
    """How the quality score (0-1) weighs each measure; weights are normalized to add up to 1."""

    judge: float = Field(default=1.0, ge=0, description="The LLM judge's score (1-5 → 0-1); records never judged "
                                                        "get unjudged_score.")
    length: float = Field(default=0.5, ge=0, description="A substantive answer: its words against target_words, up to 1.")
    real: float = Field(default=0.5, ge=0, description="Written by people or logged (1) rather than generated (0).")
    unrepeated: float = Field(default=0.5, ge=0, description="Distinct words of the answer / all its words.")


class SelectionConfig(Strict):
    """Pick ``budget`` records of train maximizing the quality score, meeting per-domain targets, with at
    most ``max_cluster_share`` of a domain's picks from any one topic cluster."""

    budget: int | None = Field(default=None, ge=1, description="Records to select (or budget_tokens).")
    budget_tokens: int | None = Field(default=None, ge=1, description="Tokens to select instead: whole training "
                                      "examples counted with report.tokenizer.")
    weights: QualityWeights = QualityWeights()
    unjudged_score: float = Field(default=0.6, ge=0, le=1)
    target_words: int = Field(default=60, ge=1)
    domain_targets: dict[str, float] = Field(
        default_factory=dict, description="Share of the selection per domain; empty: mix.domain_targets, or else "
                                          "each domain's share of train.")
    max_cluster_share: float = Field(default=0.25, gt=0, le=1, description="Of a domain's picks, at most this share "
                                     "from one topic cluster (a cluster with fewer records than that gives all).")
    clusters: int = Field(default=20, ge=2, le=500)
    sample: int = Field(default=20_000, ge=10, description="Records the embedder and the clusters are fitted on.")
    seed: int = 0

    @model_validator(mode="after")
    def _one_budget(self) -> "SelectionConfig":
        if (self.budget is None) == (self.budget_tokens is None):
            raise ValueError("selection needs one budget: budget (records) or budget_tokens")
        return self

    @field_validator("domain_targets")
    @classmethod
    def _shares(cls, targets: dict[str, float]) -> dict[str, float]:
        if targets and (any(share < 0 for share in targets.values()) or abs(sum(targets.values()) - 1.0) > 1e-6):
            raise ValueError(f"selection.domain_targets must be non-negative shares adding up to 1; got {targets}")
        return dict(sorted(targets.items()))
