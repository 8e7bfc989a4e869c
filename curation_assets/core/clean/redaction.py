"""PII as a rewrite: finds are replaced by typed placeholders, or the record dropped (``pii``), as its source says.

Texts are redacted even when the record is dropped: a dropped record's excerpt may be shown in the
asset's metadata. A record's note is its finds by type, which a kept record's lineage carries.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from curation_assets.core.clean.pii import PiiScanner, redact
from curation_assets.core.records import TEXT_FIELDS
from curation_assets.core.rules import Rewrite, Rewritten, Verdicts

DEFAULT_ACTION = "redact"


class PiiRedaction(Rewrite):
    name = "pii_redacted"
    reasons = ("pii",)

    def __init__(self, scanner: PiiScanner, actions: dict[str, str]) -> None:
        self.scanner = scanner
        self.actions = actions  # source → redact | drop | keep

    def rewrite(self, batch: pd.DataFrame) -> Rewritten:
        texts = {name: batch[name].tolist() for name in TEXT_FIELDS}
        notes: list[dict | None] = [None] * len(batch)
        verdicts = Verdicts.keep_all(len(batch))
        actions = [self.actions.get(source, DEFAULT_ACTION) for source in batch["source"]]
        scanned = np.flatnonzero(np.array(actions, dtype=object) != "keep")
        finds_by_field = {name: self.scanner.finds_batch([texts[name][row] for row in scanned]) for name in TEXT_FIELDS}
        for place, row in enumerate(scanned):
            found: Counter = Counter()
            for name in TEXT_FIELDS:
                finds = finds_by_field[name][place]
                if finds:
                    found.update(find.type for find in finds)
                    texts[name][row] = redact(texts[name][row], finds)
            if found:
                notes[row] = dict(sorted(found.items()))
                if actions[row] == "drop":
                    verdicts.reasons[row] = "pii"
                    verdicts.details[row] = "PII found: " + ", ".join(f"{kind}×{count}" for kind, count in notes[row].items())
        return Rewritten(texts, notes, verdicts)
