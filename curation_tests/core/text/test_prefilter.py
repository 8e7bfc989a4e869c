"""The Hyperscan prefilter's batch scan: per text, a superset of the patterns that match it alone.

A batch is scanned as one buffer, texts joined by newlines, so what a pattern sees at a text's
edges differs from a scan of the text alone; these cases put a match exactly there.
"""

from __future__ import annotations

import random
import re

import pytest

from curation_assets.core.text.prefilter import HyperscanPrefilter, PatternSet

EDGE_PATTERNS = {
    "start": r"^hello",
    "end": r"world$",
    "whole": r"^exactly this$",
    "word_start": r"\bcat",
    "word_end": r"dog\b",
    "lookbehind": r"(?<![\w.])42",
    "subject_start": r"\Aopen",
    "subject_end": r"close\Z",
    "spaced": r"untraceable\s+firearm",
    "digits": r"\d{3}-\d{4}",
}
EDGE_TEXTS = [
    "hello there", "say hello", "the world", "world peace", "exactly this", "not exactly this", "cat", "concat",
    "hotdog", "dog", "42", "x.42", "open door", "reopen", "please close", "close it", "untraceable\nfirearm",
    "555-0132", "", "\ud800 lone surrogate hello", "ünïcode world", "ſtrange world", "a\nhello\nb", "line\ndog",
]


def _matching(patterns: dict[str, str], text: str, flags: int) -> set[str]:
    return {key for key, pattern in patterns.items() if re.search(pattern, text, flags)}


@pytest.mark.parametrize("caseless, unicode_patterns", [(False, False), (True, True)])
def test_batch_candidates_hold_every_pattern_that_matches_a_text_alone(caseless, unicode_patterns):
    prefilter = HyperscanPrefilter(EDGE_PATTERNS, caseless=caseless, unicode_patterns=unicode_patterns)
    flags = re.IGNORECASE if caseless else 0
    rng = random.Random(5)
    batches = [EDGE_TEXTS] + [rng.sample(EDGE_TEXTS, len(EDGE_TEXTS)) for _ in range(20)]
    for texts in batches:
        candidates = prefilter.batch_candidates(texts)
        for text, found in zip(texts, candidates):
            assert _matching(EDGE_PATTERNS, text, flags) <= found, (text, found)
    # Precise enough to spare most texts: a text with no match and no subject anchor has no candidate.
    assert prefilter.batch_candidates(["nothing to see"]) == [frozenset({"subject_start", "subject_end"})]


def test_pattern_set_batch_search_equals_search_text_by_text():
    patterns = list(EDGE_PATTERNS.values())
    texts = EDGE_TEXTS * 3 + ["I cannot help with that", "As an AI language model, I can't", "lorem ipsum dolor"]
    fast, every = PatternSet(patterns, "hyperscan"), PatternSet(patterns, "none")
    found = [match and match.group(0) for match in fast.search_batch(texts)]
    assert found == [match and match.group(0) for match in map(every.search, texts)]
    assert any(found)


def test_compiled_databases_are_kept_on_disk_and_a_damaged_file_is_compiled_again(tmp_path, monkeypatch):
    import hyperscan

    from curation_assets.core.text.prefilter import compiled_database

    monkeypatch.setenv("CURATION_CACHE_DIR", str(tmp_path))
    expressions, flags = {0: rb"foo\d+", 1: rb"bar"}, hyperscan.HS_FLAG_UTF8

    def matches(database) -> list[tuple[int, int]]:
        hits: list[tuple[int, int]] = []
        database.scan(b"a foo12 bar", match_event_handler=lambda i, s, e, f, c: hits.append((i, e)))
        return hits

    compiled = compiled_database(expressions, flags)
    [stored] = list((tmp_path / "hyperscan").glob("*.hsdb"))
    loaded = compiled_database(expressions, flags)
    assert loaded is not compiled and matches(loaded) == matches(compiled) == [(0, 6), (0, 7), (1, 11)]
    stored.write_bytes(b"not a database")
    assert matches(compiled_database(expressions, flags)) == matches(compiled)
    assert stored.read_bytes() != b"not a database"  # stored again
    assert compiled_database({0: rb"(unclosed"}, flags) is None  # rejected, and remembered as rejected
    assert compiled_database({0: rb"(unclosed"}, flags) is None
