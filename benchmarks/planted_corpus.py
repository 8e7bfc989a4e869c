"""A seeded corpus with planted near-duplicates and its ground truth, for the near-dup benchmark.

Documents of about 1.5 KB are drawn word by word (Zipf-distributed) from a synthetic vocabulary
with a share of non-ASCII words (accented Latin, Cyrillic, Greek, and Han characters, which the
tokenizer splits one per token). Planted, in shuffled order:

- exact duplicates, and duplicates equal only after normalization (case, spacing, full-width
  letters that NFKC folds);
- near-duplicate pairs whose word-5-gram Jaccard falls in each of the bins [0.5, 0.7),
  [0.7, 0.8), [0.8, 0.9), [0.9, 1.0): k words are replaced at evenly spaced positions, with k
  solved from J = (S - 5k) / (S + 5k) for a target drawn inside the bin;
- chains A~B~C (each step about 0.86, A and C about 0.75: below a 0.8 threshold);
- documents shorter than a shingle (1-4 words), some of them duplicated.

The ground truth is exact: the Jaccard of the word-5-gram sets under the tokenizer the pipeline
uses (``curation_assets.core.text.tokens.words``), computed from the token tuples, not hashes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from curation_assets.core.text.tokens import words

BINS = ((0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0))
SHINGLE = 5
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ALPHABETS = ("àáâäçèéêëíîïñóôöøùúûüß", "абвгдежзийклмнопрстуфхцчшщыэюя", "αβγδεζηθικλμνξοπρστυφχψω")
_FULLWIDTH = {ord(c): ord(c) - 0x61 + 0xFF41 for c in _LETTERS}


@dataclass
class PlantedCorpus:
    texts: list[str]
    families: list[list[int]]  # documents planted as related, in planting order (a chain is [A, B, C])
    kinds: dict[str, int] = field(default_factory=dict)  # documents per planted kind

    def family_pairs(self) -> list[tuple[int, int]]:
        pairs = []
        for family in self.families:
            for i, left in enumerate(family):
                for right in family[i + 1 :]:
                    pairs.append((min(left, right), max(left, right)))
        return pairs


def shingle_set(text: str, size: int = SHINGLE) -> frozenset:
    units = words(text)
    if not units:
        return frozenset()
    if len(units) < size:
        return frozenset([tuple(units)])
    return frozenset(tuple(units[i : i + size]) for i in range(len(units) - size + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class _Writer:
    def __init__(self, rng: np.random.Generator, words_per_doc: int) -> None:
        self.rng = rng
        self.words_per_doc = words_per_doc
        ascii_words = ["".join(rng.choice(list(_LETTERS), size=int(rng.integers(2, 11)))) for _ in range(40000)]
        other = []
        for index in range(6000):
            if index % 4 == 3:
                other.append("".join(chr(int(c)) for c in rng.integers(0x4E00, 0x9FFF, size=int(rng.integers(2, 4)))))
            else:
                alphabet = _ALPHABETS[index % 4 % 3]
                other.append("".join(rng.choice(list(alphabet + _LETTERS), size=int(rng.integers(3, 9)))))
        self.ascii = np.array(ascii_words, dtype=object)
        self.other = np.array(other, dtype=object)
        weights = 1.0 / np.arange(1, len(self.ascii) + 1) ** 0.9
        self.cumulative = np.cumsum(weights / weights.sum())

    def words(self, count: int, non_ascii: bool) -> list[str]:
        picks = np.minimum(np.searchsorted(self.cumulative, self.rng.random(count)), len(self.ascii) - 1)
        chosen = self.ascii[picks]
        if non_ascii:
            mixed = self.rng.random(count) < 0.3
            chosen[mixed] = self.other[self.rng.integers(0, len(self.other), size=int(mixed.sum()))]
        return chosen.tolist()

    def document(self, non_ascii: bool) -> list[str]:
        return self.words(self.words_per_doc, non_ascii)

    def edited(self, words: list[str], target: float, non_ascii: bool, avoid: set[int] | None = None) -> tuple[list[str], set[int]]:
        """``words`` with k words replaced at spread positions so that the 5-gram Jaccard is about ``target``."""
        shingles = len(words) - SHINGLE + 1
        edits = max(1, round(shingles * (1 - target) / (SHINGLE * (1 + target))))
        spacing = len(words) / edits
        offset = self.rng.uniform(0, spacing)
        positions = {min(len(words) - 1, int(offset + i * spacing)) for i in range(edits)}
        if avoid:  # a chain's second step edits elsewhere, so that A and C drift further apart
            positions = {(p + int(spacing / 2)) % len(words) for p in positions}
        result = list(words)
        for position, word in zip(sorted(positions), self.words(len(positions), non_ascii)):
            result[position] = word
        return result, positions


def _normalization_variant(rng: np.random.Generator, words: list[str]) -> str:
    out = []
    for word in words:
        roll = rng.random()
        if roll < 0.15:
            word = word.upper()
        elif roll < 0.3:
            word = word.capitalize()
        elif roll < 0.35 and word.isascii():
            word = word.translate(_FULLWIDTH)
        out.append(word)
    separators = rng.choice(np.array([" ", "  ", "\n", " \t"], dtype=object), size=len(out), p=[0.85, 0.07, 0.05, 0.03])
    return "".join(word + sep for word, sep in zip(out, separators)).strip()


def generate(documents: int, seed: int = 0, words_per_doc: int = 215) -> PlantedCorpus:
    """About ``documents`` texts (exactly that many), families planted as described above."""
    rng = np.random.default_rng(seed)
    writer = _Writer(rng, words_per_doc)
    texts: list[list[str] | str] = []
    families: list[list[int]] = []
    kinds: dict[str, int] = {}

    def add(kind: str, members: list) -> None:
        start = len(texts)
        texts.extend(members)
        kinds[kind] = kinds.get(kind, 0) + len(members)
        if len(members) > 1:
            families.append(list(range(start, start + len(members))))

    share = {"exact": 0.05, "normalized": 0.05, "bin": 0.08, "chain": 0.09, "short": 0.04}
    for _ in range(int(documents * share["exact"] / 2)):
        base = writer.document(rng.random() < 0.1)
        add("exact_duplicate", [base, list(base)])
    for _ in range(int(documents * share["normalized"] / 2)):
        base = writer.document(rng.random() < 0.1)
        add("normalized_duplicate", [base, _normalization_variant(rng, base)])
    for low, high in BINS:
        for _ in range(int(documents * share["bin"] / 2)):
            non_ascii = rng.random() < 0.1
            base = writer.document(non_ascii)
            variant, _ = writer.edited(base, rng.uniform(low, min(high, 0.985)), non_ascii)
            add(f"near_duplicate_{low:.1f}_{high:.1f}", [base, variant])
    for _ in range(int(documents * share["chain"] / 3)):
        non_ascii = rng.random() < 0.1
        a = writer.document(non_ascii)
        b, positions = writer.edited(a, 0.86, non_ascii)
        c, _ = writer.edited(b, 0.86, non_ascii, avoid=positions)
        add("chain", [a, b, c])
    short_pairs = int(documents * share["short"] / 4)
    for _ in range(short_pairs):
        base = writer.words(int(rng.integers(1, SHINGLE)), rng.random() < 0.1)
        add("short_duplicate", [base, list(base)])
    for _ in range(int(documents * share["short"] / 2) - short_pairs):
        add("short", [writer.words(int(rng.integers(1, SHINGLE)), False)])
    while len(texts) < documents:
        add("unique", [writer.document(rng.random() < 0.1)])

    order = rng.permutation(len(texts))
    place = np.empty_like(order)
    place[order] = np.arange(len(order))
    shuffled = [texts[i] for i in order]
    rendered = [text if isinstance(text, str) else " ".join(text) for text in shuffled]
    # Families keep their planting order (a chain is [A, B, C]) under the shuffled positions.
    return PlantedCorpus(rendered, [[int(place[m]) for m in family] for family in families], kinds)
