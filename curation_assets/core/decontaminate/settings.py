"""Settings of the decontaminate stage."""

from __future__ import annotations

from pydantic import Field

from curation_assets.core.settings import FileFormat, Strict, TextField

class BenchmarkConfig(Strict):
    """An evaluation set no training record may overlap."""

    name: str
    path: str
    format: FileFormat
    fields: list[str] = Field(min_length=1, description="the benchmark fields whose text is compared")


class DecontaminateConfig(Strict):
    """Drop training records that overlap a benchmark: any shared word n-gram, or, for benchmark
    texts shorter than n words, an exact match after normalization."""

    enabled: bool = True
    benchmarks: list[BenchmarkConfig] = []
    ngram: int = Field(default=13, ge=1, description="13, as in the GPT-3 and Llama reports")
    fields: list[TextField] = ["instruction", "input", "response"]
