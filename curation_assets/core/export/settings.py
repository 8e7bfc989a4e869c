"""Settings of the export stage."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from curation_assets.core.settings import Strict

class HubConfig(Strict):
    """Where each export is pushed on the Hugging Face Hub, when the token's variable is set."""

    repo_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$",
                         description="owner/name of a dataset repository (created when missing)")
    token_env: str = "HF_TOKEN"
    private: bool = True


class ExportConfig(Strict):
    output_dir: str = "curation_data/exports"
    format: Literal["openai_chat", "sharegpt", "alpaca", "prompt_completion", "preference"] = Field(
        default="openai_chat",
        description="openai_chat (messages: TRL conversational, axolotl chat_template), sharegpt "
                    "(conversations from/value), alpaca (instruction/input/output/system/history), "
                    "prompt_completion (TRL), preference (TRL prompt/chosen/rejected: the pairs only; the other "
                    "formats export a pair as its prompt and chosen answer); every example also carries id "
                    "(the record id) and source.")
    parquet: bool = Field(
        default=True,
        description="Also write each file as Parquet under data/, with a README.md dataset card whose YAML "
                    "front matter makes the export folder a Hugging Face dataset (load_dataset(folder)).")
    hf_dataset: bool = Field(
        default=False,
        description="Also write hf_dataset/, a Hugging Face dataset folder (DatasetDict.save_to_disk) that "
                    "datasets.load_from_disk reads; needs parquet: true and the datasets library "
                    "(pip install 'curation[hf]'); each split is built in memory.")
    system_prompt: str | None = None
    split_names: dict[str, str] = Field(
        default_factory=lambda: {"train": "train", "eval": "eval"},
        description="The exported name of each split (files, manifest, dataset card): e.g. "
                    "{train: train, eval: validation} or {eval: test}; the warehouse tables keep theirs.")
    hub: HubConfig | None = Field(
        default=None,
        description="Push each export (files, Parquet, manifest, README.md card) to this Hub dataset repository "
                    "when $token_env is set; without it nothing is sent and the metadata says so.")
    records_per_file: int = Field(
        default=100_000, ge=1,
        description="Records per exported file (train-00000-of-00003.jsonl, ...): the files depend on this "
                    "and the records only, not on how the warehouse shards the tables.")

    @model_validator(mode="after")
    def _hf_dataset_from_parquet(self) -> "ExportConfig":
        if self.hf_dataset and not self.parquet:
            raise ValueError("hf_dataset is built from the Parquet files: set parquet: true too")
        return self

    @field_validator("split_names")
    @classmethod
    def _split_names(cls, names: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(names) - {"train", "eval"})
        if unknown:
            raise ValueError(f"split_names renames the splits train and eval only; got {', '.join(unknown)}")
        names = {"train": "train", "eval": "eval", **names}
        bad = [name for name in names.values() if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name)]
        if bad:
            raise ValueError(f"split names must be a letter then letters, digits or underscores; got {', '.join(bad)}")
        if names["train"] == names["eval"]:
            raise ValueError("the two splits need different names")
        return names
