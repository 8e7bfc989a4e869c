"""Settings of the load stage: configured sources and the inbox folder."""

from __future__ import annotations

import codecs
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from curation_assets.core.settings import FileFormat, Kind, PiiAction, Strict, identifier

INBOX_SOURCE_PREFIX = "inbox/"
INBOX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


class FieldMapping(Strict):
    """Which fields of a source record become the record's parts, in one of three shapes.

    - single turn: ``instruction``, ``response`` and optionally ``input``;
    - a conversation: ``conversation``, a list of turns (OpenAI ``role``/``content`` or ShareGPT
      ``from``/``value``) ending with a user turn and the assistant's answer, or an HH transcript;
    - a preference pair: ``chosen`` and ``rejected`` answers, with the prompt in ``instruction`` (a
      string or turns) or, without it, inside chosen and rejected as whole conversations.

    ``system`` names an optional field holding a system prompt put before the turns. Values are field
    names; a dotted name (``instances.output``) reads inside the element produced by ``explode``, and a
    whole number indexes a list (``messages.-1.content``: the last turn's text).
    """

    instruction: str | None = None
    input: str | None = None
    response: str | None = None
    conversation: str | None = None
    system: str | None = None
    chosen: str | None = None
    rejected: str | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> "FieldMapping":
        if self.chosen is not None or self.rejected is not None:
            if self.chosen is None or self.rejected is None:
                raise ValueError("a preference source maps both 'chosen' and 'rejected'")
            extra = [name for name in ("response", "input", "conversation") if getattr(self, name) is not None]
            if extra:
                raise ValueError(f"a preference source maps chosen and rejected, and its prompt as 'instruction' "
                                 f"(or none: the pair holds whole conversations); not {', '.join(extra)}")
        elif self.conversation is not None:
            extra = [name for name in ("instruction", "input", "response") if getattr(self, name) is not None]
            if extra:
                raise ValueError(f"a conversation source maps 'conversation' (the turns), not {', '.join(extra)}: "
                                 "the final user turn and answer come from the turns")
        else:
            missing = [name for name in ("instruction", "response") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"map {' and '.join(missing)} (single-turn records), or 'conversation' "
                                 "(turns), or 'chosen' and 'rejected' (preference pairs)")
        if self.system is not None and self.chosen is None and self.conversation is None:
            raise ValueError("'system' goes with 'conversation' or a preference pair")
        return self

    @property
    def shape(self) -> str:
        if self.chosen is not None:
            return "preference"
        return "conversation" if self.conversation is not None else "single_turn"

    def mapped(self) -> dict[str, str]:
        """Every mapped part and the field path it is read from."""
        return {name: path for name, path in self.model_dump().items() if path is not None}


class RecordOrigin(Strict):
    """How a file's records are read and what they are: shared by configured sources and the inbox."""

    fields: FieldMapping
    kind: Kind
    license: str
    encoding: str = "utf-8"
    # A record with a longer instruction, input or response is rejected at load (``too_long``);
    # checks.max_text_chars, the suites' bound on every table, stays a guard against a bug.
    max_field_chars: int = Field(default=100_000, ge=1)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, encoding: str) -> str:
        try:
            codecs.lookup(encoding)
        except LookupError as error:
            raise ValueError(f"unknown encoding {encoding!r} (Python codec names: utf-8, latin-1, cp1252, ...)") from error
        return encoding
    pii: PiiAction = Field(
        default="redact", description="what cleaning does with a record holding PII (keep: e.g. fake PII by design)"
    )
    explode: str | None = Field(
        default=None,
        description="A list-valued field: each element becomes its own record (e.g. seed tasks' instances).",
    )
    domain: str = Field(default="general", description="The mixing domain of every record of this source.")


class FileSource(RecordOrigin):
    """One file read as a source: a configured source, or a file dropped into the inbox (``inbox/<file>``)."""

    name: str
    path: str
    format: FileFormat
    split: str | None = Field(default=None, description="hf_disk: the split of a dataset-dict folder (e.g. train).")


class SourceConfig(FileSource):
    """A configured source: its name becomes a table and an asset name."""

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, name: str) -> str:
        return identifier(name, "source name", "it becomes a table and asset name")


class InboxConfig(RecordOrigin):
    """A folder watched by a sensor: every file dropped there becomes a partition of ``raw_inbox`` and a run.

    Each file is read like a source (format from its extension: .jsonl/.ndjson, .json, .csv, .parquet)
    with the field mapping below; its records' ``source`` is ``inbox/<file name>``.
    """

    path: str = Field(default="curation_data/inbox", description="Relative to the working directory; $CURATION_INBOX overrides.")
    kind: Kind = "real"
    poll_seconds: int = Field(default=30, ge=1, description="How often the sensor looks at the folder.")
    settle_seconds: float = Field(
        default=2.0, ge=0, description="A file modified more recently than this may still be being written: wait.")

    def source_for(self, file_name: str) -> FileSource:
        """The source a file in the inbox is read as, named ``inbox/<file name>``."""
        origin = {name: getattr(self, name) for name in RecordOrigin.model_fields}
        return FileSource(name=f"{INBOX_SOURCE_PREFIX}{file_name}", path=file_name, format=inbox_format(file_name),
                          **origin)


def inbox_format(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    if suffix not in INBOX_FORMATS:
        raise ValueError(f"inbox file {file_name!r}: unsupported extension {suffix or '(none)'!r} "
                         f"(supported: {', '.join(INBOX_FORMATS)})")
    return INBOX_FORMATS[suffix]
