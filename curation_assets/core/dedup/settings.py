"""Settings of the dedup stage."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from curation_assets.core.settings import Strict, TextField
from curation_assets.core.text.repetition import RepetitionLimits

KeepCriterion = Literal["real_first", "longest_response", "shortest_response", "earliest_position", "source_order"]


class NearDuplicatesConfig(Strict):
    """MinHash + LSH near-duplicates (datasketch), verified on exact Jaccard, clustered transitively."""

    @field_validator("lsh_weights")
    @classmethod
    def _weights_sum_to_one(cls, weights: tuple[float, float]) -> tuple[float, float]:
        if min(weights) < 0 or abs(sum(weights) - 1.0) > 1e-9:
            raise ValueError(f"lsh_weights must be two non-negative numbers summing to 1, got {list(weights)}")
        return weights

    enabled: bool = True
    fields: list[TextField] = Field(default=["instruction", "input", "response"], min_length=1)
    shingle_kind: Literal["word", "char"] = "word"
    shingle_size: int = Field(default=5, ge=1, le=64)
    num_perm: int = Field(default=128, ge=16, le=1024)
    seed: int = 1
    threshold: float = Field(default=0.8, gt=0.0, le=1.0)
    # datasketch's MinHashLSH banding weights (false positive, false negative). Candidates are verified
    # exactly, so a false positive costs a comparison and a false negative a missed duplicate: lean on recall.
    lsh_weights: tuple[float, float] = (0.05, 0.95)
    # A shingle occurring at least max(boilerplate_min_documents, boilerplate_share × documents) times
    # in the batch is template text: pairs must also be similar without it. null turns the guard off.
    boilerplate_share: float | None = Field(default=0.01, gt=0.0, le=1.0)
    boilerplate_min_documents: int = Field(default=20, ge=2)
    keep: list[KeepCriterion] = Field(default=["real_first", "longest_response", "earliest_position"], min_length=1)
    # Compare the batch with every record published by earlier runs (signatures kept in the warehouse).
    incremental: bool = True
    # Processes for signing large batches (0 = one per core).
    workers: int = Field(default=0, ge=0)
    # Partitions of LSH band keys in a sharded run, each a reducer's task (0 = one per shard signed,
    # at least one per worker).
    band_partitions: int = Field(default=0, ge=0)


ConflictPolicy = Literal["best", "first", "drop_all", "keep_all"]


class ConflictsConfig(Strict):
    """Same normalized instruction+input with different responses; same response for different instructions.

    Each kind's value is its policy: ``best`` keeps the record the keep policy ranks first, ``first``
    the earliest, ``drop_all`` none, ``keep_all`` lists the group in ``conflicts`` and drops nothing;
    null skips the kind. One answer to many prompts is often legitimate (canned support replies, FAQ
    variants), so by default such groups are listed, not dropped.
    """

    same_prompt: ConflictPolicy | None = "best"
    same_response: ConflictPolicy | None = "keep_all"
    # Shorter responses ("Yes.", "4") legitimately answer many instructions: never a reused response.
    min_response_tokens: int = Field(default=8, ge=1)


class RepetitionConfig(RepetitionLimits):
    """Gopher's repetition rules on the response (Rae et al. 2021, table A1; measures in
    ``core/text/repetition.py``, shared with the clean stage); null turns a rule off.

    The line and paragraph maximums are Gopher's. The n-gram rules are off by default: the clean
    stage, which runs before dedup, applies them to responses of 50 words or more
    (``clean.quality.repetition``); here they matter only for shorter responses, when a looping
    answer could otherwise be chosen as a near-duplicate cluster's representative.
    Gopher's n-gram maximums (top 2/3/4-gram 0.20/0.18/0.16, duplicate 5..10-grams 0.15..0.10) were
    set for web pages. Measured on GSM8K's 7,473 worked solutions (the 3,435 of 50 words or more),
    legitimate answers reach 0.36 (top 4-gram) and 0.43 (duplicate 5-grams), while an answer said
    twice scores 0.50 on every duplicate n-gram and a loop more (0.67 three times, 0.87+ a sentence
    looping): top n-grams at 0.45 and duplicate n-grams at 0.5 are sound values to switch them on with.
    """

    max_duplicate_line_fraction: float | None = Field(default=0.3, ge=0.0, le=1.0)
    max_duplicate_line_char_fraction: float | None = Field(default=0.2, ge=0.0, le=1.0)
    max_duplicate_paragraph_fraction: float | None = Field(default=0.3, ge=0.0, le=1.0)
    max_duplicate_paragraph_char_fraction: float | None = Field(default=0.2, ge=0.0, le=1.0)


class SemanticDedupConfig(Strict):
    """Semantic duplicates (SemDeDup): records whose embeddings are at least ``threshold`` similar (cosine),
    compared within each record's ``probe`` nearest topic clusters; off until a threshold is set."""

    threshold: float | None = Field(default=None, gt=0.0, le=1.0,
                                    description="null: off. TF-IDF + SVD similarity is coarse: 0.9 or above.")
    clusters: int = Field(default=50, ge=1, le=5000)
    probe: int = Field(default=2, ge=1, le=10)
    dimensions: int = Field(default=128, ge=2, le=512)
    sample: int = Field(default=20_000, ge=10, description="Records the embedder and the clusters are fitted on.")
    seed: int = 0
    partitions: int | None = Field(default=None, ge=1, description="Tasks the clusters are decided in; null: one "
                                   "per worker, more when a partition's embeddings would pass 256 MB.")


class DedupConfig(Strict):
    """Exact dedup after normalization (NFKC, casefold, collapsed whitespace), then repetition,
    near-duplicates and conflicts.

    The exact duplicate kept: real before synthetic, then the source listed first in the config,
    then the earliest source position.
    """

    fields: list[TextField] = ["instruction", "input", "response"]
    # Which of a conversation's earlier turns exact dedup compares besides the final exchange: "user"
    # (two chats asking the same things with the same final answer are one), "all", or "none".
    compared_turns: Literal["user", "all", "none"] = "user"
    near_duplicates: NearDuplicatesConfig = NearDuplicatesConfig()
    conflicts: ConflictsConfig = ConflictsConfig()
    repetition: RepetitionConfig = RepetitionConfig()
    semantic: SemanticDedupConfig = SemanticDedupConfig()

    @property
    def compared_roles(self) -> tuple[str, ...] | None:
        return {"user": ("user",), "all": None, "none": ()}[self.compared_turns]
