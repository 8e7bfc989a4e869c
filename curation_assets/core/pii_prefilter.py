"""Which PII types could occur in a text, decided fast, so precise detectors run only where needed.

Hyperscan compiles every detector's own pattern in prefilter mode (``HS_FLAG_PREFILTER``): its
documented contract is to match a superset of what the pattern matches, approximating the
constructs it cannot run exactly (look-arounds, back-references). So skipping a detector when
Hyperscan reports nothing never loses a find, and a false alarm costs only one precise run.
All types are scanned in one pass over the text (SIMD, single match per pattern).

Hyperscan reads bytes: texts are UTF-8 encoded and the patterns compiled with ``HS_FLAG_UTF8``
so a character class matches a whole character, as Python's ``re`` does. A text that cannot be
encoded (lone surrogates) gets every type, i.e. the precise detectors decide alone.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A negative look-behind on one character class at the start of an alternative, e.g. (?<![\w+]).
_LOOKBEHIND_CLASS = re.compile(r"\(\?<!\[([^\]]+)\]\)")


def prefilter_pattern(pattern: str) -> str:
    """``pattern`` with each one-class look-behind turned into a consumed character or the start.

    Prefilter mode would drop the look-behind (a superset, but a loose one: every ``5+300``
    would look like a phone number). ``(?:^|[^C])`` keeps it, and for *whether* a text matches it
    is equivalent, because our look-behinds all open an alternative.
    """
    return _LOOKBEHIND_CLASS.sub(lambda match: f"(?:^|[^{match.group(1)}])", pattern)

_ALL = object()


class HyperscanPrefilter:
    def __init__(self, patterns: dict[str, str]) -> None:
        import hyperscan

        self.types = tuple(patterns)
        self._all = frozenset(self.types)
        self._database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        flags = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_UTF8
        self._database.compile(
            expressions=[prefilter_pattern(pattern).encode("utf-8") for pattern in patterns.values()],
            ids=list(range(len(self.types))),
            elements=len(self.types),
            flags=[flags] * len(self.types),
        )

    def candidate_types(self, text: str) -> frozenset[str]:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return self._all
        found: list[int] = []
        self._database.scan(data, match_event_handler=_collect, context=found)
        if not found:
            return frozenset()
        return frozenset(self.types[index] for index in found)


def _collect(pattern_id: int, start: int, end: int, flags: int, found: list[int]) -> None:
    found.append(pattern_id)


class NoPrefilter:
    """Every type is a candidate everywhere: each precise detector scans every text."""

    def __init__(self, patterns: dict[str, str]) -> None:
        self._all = frozenset(patterns)

    def candidate_types(self, text: str) -> frozenset[str]:
        return self._all


ENGINES = {"hyperscan": HyperscanPrefilter, "none": NoPrefilter}


@lru_cache(maxsize=8)
def _cached(engine: str, patterns: tuple[tuple[str, str], ...]):
    return ENGINES[engine](dict(patterns))


def pii_prefilter(engine: str, patterns: dict[str, str]):
    """A prefilter for ``patterns`` (type → regex), compiled once per process and reused."""
    if engine not in ENGINES:
        raise ValueError(f"unknown PII prefilter engine {engine!r}; known: {', '.join(ENGINES)}")
    return _cached(engine, tuple(patterns.items()))
