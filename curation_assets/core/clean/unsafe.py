"""Unsafe content: a blocklist of terms, and a hook for a classifier of your choice.

Blocklist terms match as whole words, case-insensitively, in any field. The classifier is any
importable ``module:function`` that takes a list of texts and returns one score in [0, 1] each
(higher = less safe); records at or above the threshold are dropped.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from curation_assets.core.records import TEXT_FIELDS
from curation_assets.core.rules import Rule, Verdicts
from curation_assets.core.text.prefilter import PatternSet

Classifier = Callable[[list[str]], Sequence[float]]


def read_blocklist_file(path: Path) -> list[str]:
    if not path.is_file():
        raise FileNotFoundError(f"blocklist file {path} does not exist")
    terms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        term = line.split("#", 1)[0].strip()
        if term:
            terms.append(term)
    return terms


def compile_blocklist(terms: Sequence[str], engine: str = "hyperscan") -> PatternSet | None:
    """One whole-word pattern per term (any whitespace between a phrase's words), longest first."""
    unique = sorted({" ".join(term.split()).casefold() for term in terms if term.strip()}, key=lambda t: (-len(t), t))
    if not unique:
        return None
    spaced = [r"\s+".join(map(re.escape, term.split())) for term in unique]
    return PatternSet([rf"(?<!\w){term}(?!\w)" for term in spaced], engine)


class Blocklist(Rule):
    """A blocklisted term in any field (``blocklist``); the detail names the term and the first field holding one."""

    name = "blocklist"

    def __init__(self, pattern: PatternSet) -> None:
        self.pattern = pattern

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        details = np.full(len(batch), None, dtype=object)
        for name in TEXT_FIELDS:  # the first field holding a term names it
            undecided = np.flatnonzero(pd.isna(details))
            matches = self.pattern.search_batch(batch[name].to_numpy()[undecided].tolist())
            for row, match in zip(undecided, matches):
                if match is not None:
                    details[row] = f"blocklisted term {match.group(0)!r} in {name}"
        return Verdicts.of(self.name, details)


def load_classifier(reference: str) -> Classifier:
    """``module:function`` → the function; a clear error when either part is missing."""
    module_name, _, function_name = reference.partition(":")
    if not module_name or not function_name:
        raise ValueError(f"unsafe classifier {reference!r} must be written 'module:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"unsafe classifier {reference!r}: cannot import {module_name}: {error}") from error
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ValueError(f"unsafe classifier {reference!r}: {module_name} has no function {function_name}")
    return function


def classify(texts: list[str], classifier: Classifier, reference: str) -> list[float]:
    scores = [float(score) for score in classifier(texts)]
    if len(scores) != len(texts):
        raise ValueError(f"unsafe classifier {reference} returned {len(scores)} scores for {len(texts)} texts")
    return scores


class UnsafeClassifier(Rule):
    """The configured classifier scores the records' joined texts in one call (``unsafe_classifier``)."""

    name = "unsafe_classifier"

    def __init__(self, classifier: Classifier, reference: str, threshold: float) -> None:
        self.classifier, self.reference, self.threshold = classifier, reference, threshold

    def judge(self, batch: pd.DataFrame) -> Verdicts:
        texts = ["\n\n".join(text for text in texts if text) for texts in zip(*(batch[name] for name in TEXT_FIELDS))]
        scores = classify(texts, self.classifier, self.reference) if texts else []
        return Verdicts.of(self.name, (f"{self.reference} scored {score:.3f}, threshold {self.threshold}"
                                       if score >= self.threshold else None for score in scores))
