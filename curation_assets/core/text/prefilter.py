"""Which of many regular expressions could match a text, decided in one fast pass.

Hyperscan compiles every pattern in prefilter mode (``HS_FLAG_PREFILTER``): its documented
contract is to match a superset of what the pattern matches, approximating the constructs it
cannot run exactly (look-arounds, back-references). So skipping a pattern when Hyperscan reports
nothing never loses a match, and a false alarm costs only one run of Python's ``re``. All
patterns are scanned in one SIMD pass over the text, each reporting at most once.

Hyperscan reads bytes: texts are UTF-8 encoded and patterns compiled with ``HS_FLAG_UTF8`` so a
character class matches a whole character, as Python's ``re`` does. Patterns that use ASCII
semantics (``re.ASCII``, as the PII detectors do) mean the same on any text. Patterns with
Python's Unicode semantics (``unicode_patterns``: the refusal, placeholder and blocklist rules)
are compiled with ``HS_FLAG_UCP`` so ``\\w``, ``\\s`` and ``\\b`` follow Unicode properties too; the
one gap left is case folding, where Python's ``re.IGNORECASE`` also maps four non-ASCII letters
onto ASCII ones (İ ı ſ K), so a text holding one of them goes straight to the precise patterns.
A text that cannot be encoded (lone surrogates) always does; so does a pattern Hyperscan rejects.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

# Non-ASCII letters that Python's re.IGNORECASE folds onto ASCII ones and Hyperscan does not.
_ASCII_FOLDING = re.compile("[\u0130\u0131\u017f\u212a]")
# A negative look-behind on one character class at the start of an alternative, e.g. (?<![\w+]).
_LOOKBEHIND_CLASS = re.compile(r"\(\?<!\[([^\]]+)\]\)")


def prefilter_pattern(pattern: str) -> str:
    """``pattern`` with each one-class look-behind turned into a consumed character or the start.

    Prefilter mode would drop the look-behind (a superset, but a loose one: every ``5+300``
    would look like a phone number). ``(?:^|[^C])`` keeps it, and for *whether* a text matches it
    is equivalent when the look-behind opens an alternative, as in every pattern we pass here.
    """
    return _LOOKBEHIND_CLASS.sub(lambda match: f"(?:^|[^{match.group(1)}])", pattern)


class HyperscanPrefilter:
    def __init__(self, patterns: dict[str, str], caseless: bool = False, unicode_patterns: bool = False) -> None:
        import hyperscan

        self.keys = tuple(patterns)
        self._all = frozenset(self.keys)
        self._unicode_patterns = unicode_patterns
        flags = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_UTF8
        if caseless:
            flags |= hyperscan.HS_FLAG_CASELESS
        if unicode_patterns:
            flags |= hyperscan.HS_FLAG_UCP
        expressions = {index: prefilter_pattern(pattern).encode("utf-8") for index, pattern in enumerate(patterns.values())}
        self._always: list[str] = []
        self._database = self._compile(hyperscan, expressions, flags)
        if self._database is None:  # some pattern is beyond Hyperscan: find it, the rest still compile together
            accepted = {}
            for index, expression in expressions.items():
                if self._compile(hyperscan, {index: expression}, flags) is None:
                    self._always.append(self.keys[index])
                else:
                    accepted[index] = expression
            self._database = self._compile(hyperscan, accepted, flags) if accepted else None
        self._always_set = frozenset(self._always)

    @staticmethod
    def _compile(hyperscan, expressions: dict[int, bytes], flags: int):
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            database.compile(expressions=list(expressions.values()), ids=list(expressions), elements=len(expressions),
                             flags=[flags] * len(expressions))
        except hyperscan.error:
            return None
        return database

    def candidates(self, text: str) -> frozenset[str]:
        if not text:  # no compiled pattern matches empty text (Hyperscan rejects those that could)
            return self._always_set
        if self._unicode_patterns and not text.isascii() and _ASCII_FOLDING.search(text):
            return self._all
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return self._all
        found: list[int] = []
        if self._database is not None:
            self._database.scan(data, match_event_handler=_collect, context=found)
        if not found and not self._always:
            return frozenset()
        return frozenset([*(self.keys[index] for index in found), *self._always])


def _collect(pattern_id: int, start: int, end: int, flags: int, found: list[int]) -> None:
    found.append(pattern_id)


class NoPrefilter:
    """Every pattern is a candidate everywhere: each precise pattern scans every text."""

    def __init__(self, patterns: dict[str, str], caseless: bool = False, unicode_patterns: bool = False) -> None:
        self._all = frozenset(patterns)

    def candidates(self, text: str) -> frozenset[str]:
        return self._all


ENGINES = {"hyperscan": HyperscanPrefilter, "none": NoPrefilter}


@lru_cache(maxsize=32)
def _cached(engine: str, patterns: tuple[tuple[str, str], ...], caseless: bool, unicode_patterns: bool):
    return ENGINES[engine](dict(patterns), caseless, unicode_patterns)


def prefilter(engine: str, patterns: dict[str, str], caseless: bool = False, unicode_patterns: bool = False):
    """A prefilter for ``patterns`` (key → regex), compiled once per process and reused."""
    if engine not in ENGINES:
        raise ValueError(f"unknown prefilter engine {engine!r}; known: {', '.join(ENGINES)}")
    return _cached(engine, tuple(patterns.items()), caseless, unicode_patterns)


class PatternSet:
    """Case-insensitive regexes searched as one: the prefilter picks the few worth running.

    ``search`` returns the match of the first pattern (in list order) that matches, or None.
    """

    def __init__(self, patterns: list[str], engine: str = "hyperscan") -> None:
        keyed = {str(index): pattern for index, pattern in enumerate(patterns)}
        self._compiled = [re.compile(pattern, re.IGNORECASE) for pattern in patterns]
        self._prefilter = prefilter(engine, keyed, caseless=True, unicode_patterns=True)

    def search(self, text: str) -> re.Match | None:
        return next(self.finditer(text), None)

    def finditer(self, text: str) -> Iterator[re.Match]:
        """Every match, pattern by pattern in list order."""
        for key in sorted(self._prefilter.candidates(text), key=int):
            yield from self._compiled[int(key)].finditer(text)
