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

A batch of texts is scanned in one call (``batch_candidates``): one scan of a text costs a fixed
start-up beside the bytes, and a batch's texts are mostly short. The texts are joined with a
newline between them and every match is reported (not just each pattern's first), then given to
the text where it ends. That stays a superset: ``^`` and ``$`` match at every newline
(``HS_FLAG_MULTILINE``), so at each text's edges as in a scan of the text alone; the newline is a
non-word character, so ``\\b`` at an edge holds as it does at a text's start or end; a match that
runs across a newline into the next text only makes that text a candidate too. Patterns anchored
to the whole subject (``\\A``, ``\\Z``, ``\\z``) would anchor to the batch: they are candidates of
every text instead.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator, Sequence

import numpy as np

# Non-ASCII letters that Python's re.IGNORECASE folds onto ASCII ones and Hyperscan does not.
_ASCII_FOLDING = re.compile("[\u0130\u0131\u017f\u212a]")
# A negative look-behind on one character class at the start of an alternative, e.g. (?<![\w+]).
_LOOKBEHIND_CLASS = re.compile(r"\(\?<!\[([^\]]+)\]\)")
# \A, \Z or \z: an odd run of backslashes before the letter.
_SUBJECT_ANCHOR = re.compile(r"(?<!\\)(?:\\\\)*\\[AZz]")


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
        flags = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_UTF8
        if caseless:
            flags |= hyperscan.HS_FLAG_CASELESS
        if unicode_patterns:
            flags |= hyperscan.HS_FLAG_UCP
        expressions = {index: prefilter_pattern(pattern).encode("utf-8") for index, pattern in enumerate(patterns.values())}
        self._always: list[str] = []
        self._database = self._compile(hyperscan, expressions, flags | hyperscan.HS_FLAG_SINGLEMATCH)
        if self._database is None:  # some pattern is beyond Hyperscan: find it, the rest still compile together
            accepted = {}
            for index, expression in expressions.items():
                if self._compile(hyperscan, {index: expression}, flags | hyperscan.HS_FLAG_SINGLEMATCH) is None:
                    self._always.append(self.keys[index])
                else:
                    accepted[index] = expression
            self._database = self._compile(hyperscan, accepted, flags | hyperscan.HS_FLAG_SINGLEMATCH) if accepted else None
            expressions = accepted
        self._always_set = frozenset(self._always)
        batch_expressions = {index: expression for index, expression in expressions.items()
                             if not _SUBJECT_ANCHOR.search(patterns[self.keys[index]])}
        self._batch_always_set = frozenset([*self._always, *(self.keys[index] for index in expressions
                                                              if index not in batch_expressions)])
        self._batch_database = (self._compile(hyperscan, batch_expressions, flags | hyperscan.HS_FLAG_MULTILINE)
                                if batch_expressions else None)
        self._batch_scans = self._batch_database is not None or not batch_expressions  # else: text by text

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

    def batch_candidates(self, texts: Sequence[str]) -> list[frozenset[str]]:
        """``candidates`` of every text, found in one scan of the batch (a superset: see the module)."""
        if not self._batch_scans:
            return [self.candidates(text) for text in texts]
        result: list[frozenset[str]] = [self._batch_always_set] * len(texts)
        parts: list[bytes] = []
        for row, text in enumerate(texts):
            data = b""
            if not text:
                result[row] = self._always_set
            elif self._unicode_patterns and not text.isascii() and _ASCII_FOLDING.search(text):
                result[row] = self._all
            else:
                try:
                    data = text.encode("utf-8")
                except UnicodeEncodeError:
                    result[row] = self._all
            parts.append(data)
        if self._batch_database is None or not parts:
            return result
        hits: list[tuple[int, int]] = []
        self._batch_database.scan(b"\n".join(parts), match_event_handler=_collect_end, context=hits)
        if not hits:
            return result
        lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)) + 1
        starts = np.cumsum(lengths) - lengths
        pattern_ids, ends = np.array(hits, dtype=np.int64).T
        rows = np.searchsorted(starts, ends - 1, side="right") - 1  # the text holding the match's last byte
        found: dict[int, set[str]] = {}
        for row, pattern_id in set(zip(rows.tolist(), pattern_ids.tolist())):
            if parts[row]:  # empty, unencodable and folding texts are decided already
                found.setdefault(row, set(self._batch_always_set)).add(self.keys[pattern_id])
        for row, keys in found.items():
            result[row] = frozenset(keys)
        return result


def _collect(pattern_id: int, start: int, end: int, flags: int, found: list[int]) -> None:
    found.append(pattern_id)


def _collect_end(pattern_id: int, start: int, end: int, flags: int, found: list[tuple[int, int]]) -> None:
    found.append((pattern_id, end))


class NoPrefilter:
    """Every pattern is a candidate everywhere: each precise pattern scans every text."""

    def __init__(self, patterns: dict[str, str], caseless: bool = False, unicode_patterns: bool = False) -> None:
        self._all = frozenset(patterns)

    def candidates(self, text: str) -> frozenset[str]:
        return self._all

    def batch_candidates(self, texts: Sequence[str]) -> list[frozenset[str]]:
        return [self._all] * len(texts)


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

    def finditer(self, text: str, candidates: frozenset[str] | None = None) -> Iterator[re.Match]:
        """Every match, pattern by pattern in list order; ``candidates``: the text's from ``batch_candidates``."""
        for key in sorted(self._prefilter.candidates(text) if candidates is None else candidates, key=int):
            yield from self._compiled[int(key)].finditer(text)

    def batch_candidates(self, texts: Sequence[str]) -> list[frozenset[str]]:
        """Per text, the patterns that may match it (empty: none does), from one scan of the batch."""
        return self._prefilter.batch_candidates(texts)

    def search_batch(self, texts: Sequence[str]) -> list[re.Match | None]:
        """``search`` of every text."""
        return [next(self.finditer(text, keys), None) if keys else None
                for text, keys in zip(texts, self.batch_candidates(texts))]
