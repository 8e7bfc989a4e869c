"""The language rule: records whose configured fields are not in an allowed language (``language``)."""

from __future__ import annotations

import pandas as pd

from curation_assets.core.clean.settings import LanguageConfig
from curation_assets.core.rules import Rule, Verdicts
from curation_assets.core.text.language import language_violation


class Language(Rule):
    name = "language"

    def __init__(self, settings: LanguageConfig) -> None:
        self.settings = settings
        self.allowed = frozenset(code.lower() for code in settings.allowed)

    def _sample(self, *texts: str) -> str:
        return "\n".join(text for text in texts if text)[: self.settings.sample_chars]

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        samples = list(map(self._sample, *(batch[name] for name in self.settings.fields)))
        # Instruction data repeats its prompts (templates, one question with many answers): CLD2 judges
        # each distinct sample of the batch once.
        violations = {sample: language_violation(sample, self.allowed, self.settings.min_chars)
                      for sample in dict.fromkeys(samples)}
        return Verdicts.of(self.name, map(violations.__getitem__, samples))
