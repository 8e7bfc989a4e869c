"""The one typed pipeline config: sources and every stage's knobs, loaded from a YAML file.

Relative source paths resolve against the config file's folder, so a config can live beside its
data. Output locations (warehouse, exports) resolve against the working directory, because they
belong to whoever runs the pipeline, and can be overridden by environment variables.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import typing
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from curation_assets.checks.settings import ChecksConfig
from curation_assets.core.clean.settings import CleanConfig
from curation_assets.core.decontaminate.settings import DecontaminateConfig
from curation_assets.core.dedup.settings import DedupConfig
from curation_assets.core.export.settings import ExportConfig
from curation_assets.core.catalog import SourceCatalog
from curation_assets.core.load.settings import FileSource, InboxConfig, SourceConfig
from curation_assets.core.mix.settings import MixConfig
from curation_assets.core.report.settings import ReportConfig
from curation_assets.core.select.settings import SelectionConfig
from curation_assets.core.semantic.embed import embedder_problem
from curation_assets.core.semantic.settings import EmbedderConfig
from curation_assets.core.report.tokenizer import is_tokenizer_path, tokenizer_problem
from curation_assets.core.settings import Strict
from curation_assets.core.split.settings import SplitConfig
from curation_assets.core.synthetic.settings import SyntheticConfig
from curation_assets.core.verify.settings import VerifyConfig
from curation_assets.engine.settings import EngineConfig
from curation_assets.llm.settings import LLMConfig
from curation_assets.storage.settings import WarehouseConfig
from curation_assets.storage.shards import ShardSize
from curation_assets.storage.warehouse import Warehouse, shard_root_beside

CONFIG_ENV = "CURATION_CONFIG"
WAREHOUSE_ENV = "CURATION_WAREHOUSE"
SHARDS_ENV = "CURATION_SHARDS"
OUTPUT_DIR_ENV = "CURATION_OUTPUT_DIR"
INBOX_ENV = "CURATION_INBOX"
# `curation run --sample N`: every source is read only up to its N-th line, row or item.
SAMPLE_ENV = "CURATION_SAMPLE_RECORDS"
DEMO_CONFIG_PATH = Path(__file__).parent / "demo" / "demo.yaml"
_ENV_REFERENCE = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?::-(?P<default>[^}]*))?\}")


# A source's table is raw_<name>: these names would take another asset's table.
RESERVED_SOURCE_NAMES = frozenset({"inbox"})
# Sections renamed so that a stage has one name everywhere: a config written for the old name gets told.
RENAMED_SECTIONS = {"decontamination": "decontaminate"}


class ConfigError(ValueError):
    """The config file cannot be read or does not describe a valid pipeline."""


class ScheduleConfig(Strict):
    """When the daily schedule adds the new partitions of the ``daily: true`` batches and refreshes downstream."""

    cron: str = Field(default="0 2 * * *", description="Cron expression; '* * * * *' ticks every minute (tests).")
    timezone: str = "UTC"
    running: bool = Field(default=True, description="Whether the schedule starts out running in the Dagster daemon.")


class AssetsConfig(Strict):
    """Who owns the graph's assets and how they are tagged, as the Dagster catalog shows and filters them."""

    owners: list[str] = Field(default_factory=list,
                              description="Each an email or 'team:<name>'; set on every asset.")
    tags: dict[str, str] = Field(default_factory=dict, description="Set on every asset (the UI filters by them).")

    @field_validator("owners")
    @classmethod
    def _owner_form(cls, owners: list[str]) -> list[str]:
        bad = [owner for owner in owners if not (owner.startswith("team:") and len(owner) > 5) and "@" not in owner]
        if bad:
            raise ValueError(f"owners must be emails or 'team:<name>'; got {', '.join(map(repr, bad))}")
        return owners


class PipelineConfig(Strict):
    sources: list[SourceConfig] = Field(min_length=1)
    assets: AssetsConfig = AssetsConfig()
    warehouse: WarehouseConfig = WarehouseConfig()
    engine: EngineConfig = EngineConfig()
    llm: LLMConfig = LLMConfig()
    synthetic: SyntheticConfig = SyntheticConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    inbox: InboxConfig | None = None
    verify: VerifyConfig = VerifyConfig()
    mix: MixConfig = MixConfig()
    dedup: DedupConfig = DedupConfig()
    clean: CleanConfig = CleanConfig()
    decontaminate: DecontaminateConfig = DecontaminateConfig()
    split: SplitConfig = SplitConfig()
    export: ExportConfig = ExportConfig()
    checks: ChecksConfig = ChecksConfig()
    report: ReportConfig = ReportConfig()
    selection: SelectionConfig | None = None
    embedder: EmbedderConfig = EmbedderConfig()
    # Where relative source paths resolve; set by the loader, not by users.
    base_dir: str = "."

    @model_validator(mode="after")
    def _embedder_exists(self) -> "PipelineConfig":
        problem = embedder_problem(self.embedder_path())
        if problem is not None:
            raise ValueError(f"embedder.model_path: {problem}")
        return self

    @model_validator(mode="after")
    def _tokenizer_exists(self) -> "PipelineConfig":
        if is_tokenizer_path(self.report.tokenizer):
            problem = tokenizer_problem(str(self.resolve(self.report.tokenizer)))
            if problem is not None:
                raise ValueError(f"report.tokenizer: {problem}")
        return self

    @model_validator(mode="after")
    def _unique_source_names(self) -> "PipelineConfig":
        names = [source.name for source in self.sources]
        reserved = sorted(set(names) & RESERVED_SOURCE_NAMES)
        if reserved:
            raise ValueError(f"source name(s) {', '.join(reserved)} reserved: raw_inbox is the inbox's table; "
                             "rename the source")
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"source names must be unique; repeated: {', '.join(duplicated)}")
        batch_names = [batch.name for batch in self.synthetic.batches]
        clashing = sorted({name for name in batch_names if batch_names.count(name) > 1 or name in names})
        if clashing:
            raise ValueError(f"batch names must be unique and differ from source names; repeated: {', '.join(clashing)}")
        if self.report.ladder_from == "selection" and self.selection is None:
            raise ValueError("report.ladder_from: selection needs a `selection:` section (its budget and weights)")
        if self.mix.record_domains is not None:
            unknown = [name for name in self.mix.record_domains.trained_on if name not in [*names, *batch_names]]
            if unknown:
                raise ValueError(f"mix.record_domains.trained_on: {', '.join(unknown)} not a configured source or batch")
            domains = {self.catalog().domain_of(name) for name in self.mix.record_domains.trained_on}
            if len(domains) < 2:
                raise ValueError(f"mix.record_domains.trained_on: its sources are all of domain {domains.pop()!r}; "
                                 "the classifier needs sources of two domains or more")
        for batch in self.synthetic.batches:
            if batch.from_source is not None and batch.from_source not in names:
                raise ValueError(f"batch {batch.name!r}: from_source {batch.from_source!r} is not a configured source")
        benchmark_names = [b.name for b in self.decontaminate.benchmarks]
        repeated_benchmarks = sorted({name for name in benchmark_names if benchmark_names.count(name) > 1})
        if repeated_benchmarks:
            raise ValueError(f"benchmark names must be unique; repeated: {', '.join(repeated_benchmarks)}")
        return self

    def source_path(self, source: FileSource) -> Path:
        path = Path(source.path)
        return path if path.is_absolute() else Path(self.base_dir) / path

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        return Path(path) if Path(path).is_absolute() else Path(self.base_dir) / path

    def embedder_path(self) -> str | None:
        """The sentence-transformers model folder, resolved against the config file's folder; None: TF-IDF + SVD."""
        path = self.embedder.model_path
        return None if path is None else str(self.resolve(path).absolute())

    def optional_side_tables(self) -> frozenset[str]:
        """The side tables this config's settings write (defs/side_tables.py OPTIONAL)."""
        return frozenset({*(["record_domains"] if self.mix.record_domains is not None else []),
                          *(["semantic_duplicates"] if self.dedup.semantic.threshold is not None else [])})

    def report_settings(self) -> ReportConfig:
        """The report settings with a tokenizer path resolved against the config file's folder."""
        if not is_tokenizer_path(self.report.tokenizer):
            return self.report
        return self.report.model_copy(update={"tokenizer": str(self.resolve(self.report.tokenizer).absolute())})

    def warehouse_path(self) -> Path:
        return Path(os.environ.get(WAREHOUSE_ENV) or self.warehouse.path).absolute()

    def shards_uri(self) -> str:
        """Where the record tables' shards live: a URI as given, a path made absolute."""
        configured = os.environ.get(SHARDS_ENV) or self.warehouse.shards
        if configured is None:
            return shard_root_beside(self.warehouse_path())
        return configured if "://" in configured else str(Path(configured).absolute())

    def open_warehouse(self) -> Warehouse:
        size = ShardSize(self.warehouse.shard_records, self.warehouse.shard_bytes)
        return Warehouse(self.warehouse_path(), self.shards_uri(), size, self.warehouse.memory_limit)

    def sample_records(self) -> int | None:
        """How many leading lines or items of each source a sample run reads (None: all)."""
        value = os.environ.get(SAMPLE_ENV)
        return int(value) if value else None

    def output_dir(self) -> Path:
        return Path(os.environ.get(OUTPUT_DIR_ENV) or self.export.output_dir).absolute()

    def catalog(self) -> SourceCatalog:
        """What governs each record source (origin, license, kind, rank), built from this config."""
        return SourceCatalog(sources=tuple(self.sources), batches=tuple(self.synthetic.batches), inbox=self.inbox,
                             llm_endpoint=self.has_llm_endpoint(), llm_model=self.llm.model)

    def inbox_dir(self) -> Path:
        if self.inbox is None:
            raise ConfigError("no inbox is configured (add an 'inbox' section)")
        return Path(os.environ.get(INBOX_ENV) or self.inbox.path).absolute()

    def has_llm_endpoint(self) -> bool:
        return self.llm.base_url is not None

    def judge_enabled(self) -> bool:
        enabled = self.verify.judge.enabled
        return self.has_llm_endpoint() if enabled == "auto" else bool(enabled)

    def judge_model(self) -> str:
        return self.verify.judge.model or self.llm.model

    def uses_llm(self) -> bool:
        return self.judge_enabled() or any(batch.generator_kind == "llm" for batch in self.catalog().active_batches())

    def version(self) -> str:
        """A short hash of everything the user configured that shapes the data (not where the file
        happens to live, nor who owns the assets)."""
        payload = json.dumps(self.model_dump(mode="json", exclude={"base_dir", "assets"}), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    def stage_version(self, *parts: BaseModel) -> str:
        """A short hash of the settings a stage depends on: its Dagster code version."""
        payload = json.dumps([part.model_dump(mode="json") for part in parts], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]


def _expand_env_values(value):
    """``${VAR}`` / ``${VAR:-default}`` expanded inside the parsed config's string values only: a
    reference in a comment is not read, and a value holding YAML syntax stays one string."""
    if isinstance(value, str):
        return _expand_env(value)
    if isinstance(value, list):
        return [_expand_env_values(item) for item in value]
    if isinstance(value, dict):
        return {key: _expand_env_values(item) for key, item in value.items()}
    return value


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
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"config file {config_path} is not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {config_path} must hold a mapping with a 'sources' list")
    raw = _expand_env_values(raw)
    if "base_dir" in raw:
        raise ConfigError(f"config file {config_path}: unknown key 'base_dir' (relative source paths resolve "
                          "against the config file's folder; it cannot be set)")
    for old, new in RENAMED_SECTIONS.items():
        if old in raw:
            raise ConfigError(f"config file {config_path}: section '{old}' is now called '{new}' (one name per stage)")
    try:
        return PipelineConfig(**raw, base_dir=str(config_path.parent))
    except ValidationError as error:
        raise ConfigError(f"config file {config_path} is invalid:\n{described(error)}") from error


def described(error: ValidationError) -> str:
    """One line per problem: where (``sources.0.license``), what, and for an unknown key the
    closest known one."""
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(the config)"
        message = item["msg"]
        value = item.get("input")
        if item["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(item["loc"][-1]), _keys_at(PipelineConfig, item["loc"][:-1]), n=1)
            message += f"; did you mean '{close[0]}'?" if close else ""
        elif not isinstance(value, (dict, list)) and item["type"] != "missing":
            message += f" (got {value!r})"
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


def _keys_at(model: type[BaseModel], location: tuple) -> list[str]:
    """The keys the section at ``location`` (a validation error's, list indices included) accepts."""
    current: object = model
    for part in location:
        if isinstance(part, int):
            continue
        fields = current.model_fields if isinstance(current, type) and issubclass(current, BaseModel) else {}
        if part not in fields:
            return []
        current = _model_in(fields[part].annotation)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The settings model an annotation holds (``X``, ``list[X]``, ``X | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
