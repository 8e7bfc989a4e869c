"""Which of many regular expressions could match a text, decided in one fast pass.

Hyperscan compiles every pattern in prefilter mode (``HS_FLAG_PREFILTER``): its documented
contract is to match a superset of what the pattern matches, approximating the constructs it
cannot run exactly (look-arounds, back-references). So skipping a pattern when Hyperscan reports
nothing never loses a match, and a false alarm costs only one run of Python's ``re``. All
patterns are scanned in one SIMD pass over the text.

Hyperscan reads bytes: texts are UTF-8 encoded and patterns compiled with ``HS_FLAG_UTF8`` so a
character class matches a whole character, as Python's ``re`` does. Patterns that use ASCII
semantics (``re.ASCII``, as the PII detectors do) mean the same on any text. Patterns with
Python's Unicode semantics (``unicode_patterns``: the refusal, placeholder and blocklist rules)
are compiled with ``HS_FLAG_UCP`` so ``\\w``, ``\\s`` and ``\\b`` follow Unicode properties too; the
one gap left is case folding, where Python's ``re.IGNORECASE`` also maps four non-ASCII letters
onto ASCII ones (İ ı ſ K), so a text holding one of them goes straight to the precise patterns.
A text that cannot be encoded (lone surrogates) always does; so does a pattern Hyperscan rejects.

A batch of texts is scanned in one call (``batch_candidates``; one text is a batch of one): one
scan costs a fixed start-up beside the bytes, and a batch's texts are mostly short. The texts are joined with a
newline between them and every match is reported (not just each pattern's first), then given to
the text where it ends. That stays a superset: ``^`` and ``$`` match at every newline
(``HS_FLAG_MULTILINE``), so at each text's edges as in a scan of the text alone; the newline is a
non-word character, so ``\\b`` at an edge holds as it does at a text's start or end; a match that
runs across a newline into the next text only makes that text a candidate too. Patterns anchored
to the whole subject (``\\A``, ``\\Z``, ``\\z``) would anchor to the batch: they are candidates of
every text instead.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
from functools import lru_cache
from pathlib import Path
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
    """Compiled on first use (0.5-1.6 s per pattern set); compiled databases are kept on disk
    (``compiled_database``), so later processes and workers load them instead."""

    def __init__(self, patterns: dict[str, str], caseless: bool = False, unicode_patterns: bool = False) -> None:
        import hyperscan

        self.keys = tuple(patterns)
        self._all = frozenset(self.keys)
        self._unicode_patterns = unicode_patterns
        self._flags = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_MULTILINE
        if caseless:
            self._flags |= hyperscan.HS_FLAG_CASELESS
        if unicode_patterns:
            self._flags |= hyperscan.HS_FLAG_UCP
        self._expressions = {index: prefilter_pattern(pattern).encode("utf-8")
                             for index, pattern in enumerate(patterns.values())
                             if not _SUBJECT_ANCHOR.search(pattern)}
        self._anchored = frozenset(key for index, key in enumerate(self.keys) if index not in self._expressions)
        self._compiled: tuple | None = None  # (database, always candidates, always candidates of an empty text)

    def _database(self) -> tuple:
        """The database, with the patterns every text must go to: those Hyperscan rejects (compiled
        without them) and those anchored to the whole subject."""
        if self._compiled is None:
            expressions, flags = self._expressions, self._flags
            database = compiled_database(expressions, flags) if expressions else None
            rejected: list[str] = []
            if database is None and expressions:  # some pattern is beyond Hyperscan: the rest still compile together
                rejected = [self.keys[index] for index in expressions
                            if compiled_database({index: expressions[index]}, flags) is None]
                accepted = {index: expression for index, expression in expressions.items()
                            if self.keys[index] not in rejected}
                database = compiled_database(accepted, flags) if accepted else None
            self._compiled = database, frozenset(rejected) | self._anchored, frozenset(rejected)
        return self._compiled

    def candidates(self, text: str) -> frozenset[str]:
        """The patterns that may match ``text`` (a superset of those that do)."""
        return self.batch_candidates([text])[0]

    def batch_candidates(self, texts: Sequence[str]) -> list[frozenset[str]]:
        """``candidates`` of every text, found in one scan of the batch (a superset: see the module)."""
        database, always, always_if_empty = self._database()
        result: list[frozenset[str]] = [always] * len(texts)
        parts: list[bytes] = []
        for row, text in enumerate(texts):
            data = b""
            if not text:
                result[row] = always_if_empty
            elif self._unicode_patterns and not text.isascii() and _ASCII_FOLDING.search(text):
                result[row] = self._all
            else:
                try:
                    data = text.encode("utf-8")
                except UnicodeEncodeError:
                    result[row] = self._all
            parts.append(data)
        if database is None or not parts:
            return result
        hits: list[tuple[int, int]] = []
        database.scan(b"\n".join(parts), match_event_handler=_collect_end, context=hits)
        if not hits:
            return result
        lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)) + 1
        starts = np.cumsum(lengths) - lengths
        pattern_ids, ends = np.array(hits, dtype=np.int64).T
        rows = np.searchsorted(starts, ends - 1, side="right") - 1  # the text holding the match's last byte
        found: dict[int, set[str]] = {}
        for row, pattern_id in set(zip(rows.tolist(), pattern_ids.tolist())):
            if parts[row]:  # empty, unencodable and folding texts are decided already
                found.setdefault(row, set(always)).add(self.keys[pattern_id])
        for row, keys in found.items():
            result[row] = frozenset(keys)
        return result


def compiled_database(expressions: dict[int, bytes], flags: int):
    """A block-mode database of ``expressions`` (id → pattern), or None when Hyperscan rejects them.

    Compiled once per machine: the serialized database is kept under the cache folder
    ($CURATION_CACHE_DIR, else ~/.cache/curation), keyed by the patterns, flags, Hyperscan version
    and CPU architecture; a folder that cannot be written, or a file that does not load, only means
    compiling again.
    """
    import hyperscan

    key = hashlib.sha256(repr((getattr(hyperscan, "__version__", ""), platform.machine(), flags,
                                sorted(expressions.items()))).encode()).hexdigest()
    path = _cache_folder() / f"{key}.hsdb"
    try:
        stored = path.read_bytes()
    except OSError:
        stored = None
    if stored == b"":
        return None  # rejected before
    if stored:
        try:
            database = hyperscan.loadb(stored, mode=hyperscan.HS_MODE_BLOCK)
            database.scratch = hyperscan.Scratch(database)
            return database
        except Exception:  # noqa: BLE001 - another build or a damaged file: compile instead
            pass
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        database.compile(expressions=list(expressions.values()), ids=list(expressions), elements=len(expressions),
                         flags=[flags] * len(expressions))
    except hyperscan.error:
        database = None
    _store(path, b"" if database is None else hyperscan.dumpb(database))
    return database


def _cache_folder() -> Path:
    configured = os.environ.get("CURATION_CACHE_DIR")
    return (Path(configured) if configured else Path.home() / ".cache" / "curation") / "hyperscan"


def _store(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        try:
            partial.write_bytes(data)
            os.replace(partial, path)  # concurrent workers: the last complete file wins, none is read half-written
        except OSError:
            partial.unlink(missing_ok=True)
            raise
    except OSError:
        pass


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
