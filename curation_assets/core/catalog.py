"""The source catalog: which config governs the records whose ``source`` is a given name.

A record's ``source`` is a configured source, an inbox file (``inbox/<file name>``), a synthetic
batch, or one day of a daily batch (``<batch>_<yyyymmdd>``). Stages ask the catalog, not the
config, for what follows from that name: its origin (domain, PII action), license, kind and rank
(the keep order between sources). The settings model stays a plain description of the YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curation_assets.core.load.settings import INBOX_SOURCE_PREFIX, FileSource, InboxConfig, SourceConfig
from curation_assets.core.synthetic.settings import DATED_BATCH, BatchConfig


@dataclass(frozen=True)
class SourceCatalog:
    sources: tuple[SourceConfig, ...]
    batches: tuple[BatchConfig, ...]
    inbox: InboxConfig | None
    # LLM batches run only against an endpoint; their records' license names the model.
    llm_endpoint: bool
    llm_model: str

    def source_rank(self, name: str) -> int:
        """Sources in config order, then inbox files, then synthetic batches in config order (a daily
        batch's partitions rank with their batch)."""
        sources = [source.name for source in self.sources]
        if name in sources:
            return sources.index(name)
        inbox_rank = len(sources)
        if self.inbox is not None and name.startswith(INBOX_SOURCE_PREFIX):
            return inbox_rank
        batches = [batch.name for batch in self.batches]
        base = name if name in batches else self._daily_base(name).name
        return inbox_rank + (self.inbox is not None) + batches.index(base)

    def source(self, name: str) -> SourceConfig:
        """A configured source by name."""
        return self.sources[self.source_rank(name)]

    def record_source_names(self) -> list[str]:
        """The configured sources, then the synthetic batches (inbox files and daily partitions add more)."""
        return [source.name for source in self.sources] + [batch.name for batch in self.batches]

    def record_source_pattern(self) -> str:
        """A regex every record's ``source`` matches: a source, an inbox file (when an inbox is configured),
        a batch, or a daily batch's partition."""
        batches = [re.escape(b.name) + (r"(?:_\d{8})?" if b.daily else "") for b in self.batches]
        options = [re.escape(source.name) for source in self.sources] + batches
        if self.inbox is not None:
            options.append(re.escape(INBOX_SOURCE_PREFIX) + ".+")
        return "^(?:" + "|".join(options) + ")$"

    def origin(self, name: str) -> FileSource | BatchConfig:
        """The config that governs records whose ``source`` is ``name``."""
        for source in self.sources:
            if source.name == name:
                return source
        if self.inbox is not None and name.startswith(INBOX_SOURCE_PREFIX):
            return self.inbox.source_for(name[len(INBOX_SOURCE_PREFIX):])
        return self.batch(name)

    def domain_of(self, name: str) -> str:
        return self.origin(name).domain

    def pii_action(self, name: str) -> str:
        return self.origin(name).pii

    def license_of(self, name: str) -> str:
        origin = self.origin(name)
        return origin.license if isinstance(origin, FileSource) else self.batch_license(origin)

    def kind_of(self, name: str) -> str:
        origin = self.origin(name)
        return origin.kind if isinstance(origin, FileSource) else "synthetic"

    def batch_license(self, batch: BatchConfig) -> str:
        if batch.license:
            return batch.license
        if batch.generator_kind == "llm":
            return f"model output ({self.llm_model}); the model provider's terms apply"
        if batch.generator_kind == "transform":
            return f"derived from source {batch.from_source}; its license applies"
        return "CC0-1.0 (rule-generated)"

    def batch(self, name: str) -> BatchConfig:
        """A configured batch, or a daily batch's partition for one day (``<batch>_<yyyymmdd>``)."""
        for batch in self.batches:
            if batch.name == name:
                return batch
        return self._daily_base(name).on_day(DATED_BATCH.match(name).group("day"))

    def _daily_base(self, name: str) -> BatchConfig:
        dated = DATED_BATCH.match(name)
        for batch in self.batches:
            if dated and batch.name == dated.group("batch"):
                if not batch.daily:
                    raise KeyError(f"{name!r} names a day of batch {batch.name!r}, which is not daily")
                return batch
        raise KeyError(f"no synthetic batch named {name!r} in the config")

    def active_batches(self) -> list[BatchConfig]:
        """The batches that run: LLM batches only when an endpoint is configured."""
        return [b for b in self.batches if b.generator_kind != "llm" or self.llm_endpoint]

    def inactive_batches(self) -> list[BatchConfig]:
        active = {batch.name for batch in self.active_batches()}
        return [batch for batch in self.batches if batch.name not in active]

    def daily_batches(self) -> list[BatchConfig]:
        """The active batches the daily schedule adds a partition of, every day."""
        return [batch for batch in self.active_batches() if batch.daily]

    def is_active_batch(self, name: str) -> bool:
        """``name`` is an active batch, or a day of an active daily batch."""
        dated = DATED_BATCH.match(name)
        return any(batch.name == name or (dated and batch.daily and batch.name == dated.group("batch"))
                   for batch in self.active_batches())
