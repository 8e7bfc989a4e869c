"""Texts → 32-bit shingle hashes, vectorized over many documents at once.

Tokens are the words of ``core/text/tokens.py`` (NFKC, casefold, runs of letters and digits, CJK
and Thai characters one by one), computed here on bytes. A shingle is ``size`` consecutive words
(kind ``word``) or ``size`` consecutive characters of the words joined by single spaces (kind
``char``). A document with fewer than ``size`` units has one shingle, all of it; a document
without a word has none.

Why not a Python loop over shingles: at ~250 shingles per 1.5 KB document, one Python-level
hash call per shingle costs more than all the rest of near-duplicate detection together. Here
a whole chunk of documents becomes one byte array; each token (or character) is hashed from
unaligned 8-byte reads of its bytes, and each window of units with polynomial prefix sums in
wrapping uint64 arithmetic (a window's hash is the difference of two prefix sums, rescaled),
then finished with the MurmurHash3 64-bit finalizer and cut to the 32 bits that datasketch's
``affine32`` MinHash scheme takes from its ``hashfunc``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Sequence

import numpy as np
from datasketch.minhash import _fmix

from curation_assets.core.arrays import sorted_unique
from curation_assets.core.text.tokens import UNSPACED_RANGES, normalize

ShingleKind = Literal["word", "char"]

_MASK64 = (1 << 64) - 1
_BYTE_BASE = 0x100000001B3  # odd: invertible modulo 2**64
_UNIT_BASE = 0x9E3779B97F4A7C15  # odd
_SPACE_UNIT = np.uint64(0x5BD1E9955BD1E995)  # the hash of the space between two tokens (char shingles)

# Documents shingled in one go: the temporaries (several int64 per token) stay about 100 MB
# whatever the number of documents asked for.
CHUNK_DOCUMENTS = 4096
# Normalized text goes straight to bytes: a byte is part of a token if it is an ASCII letter or digit,
# or belongs to a multi-byte UTF-8 character (``normalize`` left only word characters outside ASCII).
_BYTE_MASKS = np.array([(1 << (8 * n)) - 1 if n < 8 else (1 << 64) - 1 for n in range(9)], dtype=np.uint64)


@dataclass(frozen=True)
class Shingles:
    """Shingle hashes of many documents: ``hashes[offsets[d]:offsets[d + 1]]`` belong to document d."""

    hashes: np.ndarray  # uint32
    offsets: np.ndarray  # int64, length documents + 1

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.offsets)

    def of(self, document: int) -> np.ndarray:
        return self.hashes[self.offsets[document] : self.offsets[document + 1]]

    @classmethod
    def concatenate(cls, parts: Sequence["Shingles"]) -> "Shingles":
        offsets = [np.zeros(1, np.int64)]
        base = 0
        for part in parts:
            offsets.append(part.offsets[1:] + base)
            base += int(part.offsets[-1])
        hashes = np.concatenate([part.hashes for part in parts]) if parts else np.zeros(0, np.uint32)
        return cls(hashes, np.concatenate(offsets))

    def take(self, documents: np.ndarray) -> "Shingles":
        """The shingles of ``documents``, in that order."""
        counts = self.counts[documents]
        offsets = np.zeros(len(documents) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        positions = np.repeat(self.offsets[:-1][documents] - offsets[:-1], counts) + np.arange(offsets[-1])
        return Shingles(self.hashes[positions], offsets)


@lru_cache(maxsize=8)
def _powers(base: int, length: int) -> np.ndarray:
    """base**0 .. base**(length-1) modulo 2**64."""
    powers = np.full(max(length, 1), base, dtype=np.uint64)
    powers[0] = 1
    return np.cumprod(powers, dtype=np.uint64)


def _capacity(length: int) -> int:
    # Round up so that the cached power tables are reused across chunks of similar size.
    return 1 << max(10, int(length).bit_length())


def _window_hashes(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, base: int) -> np.ndarray:
    """Polynomial hash sum(values[j] * base**(end-1-j) for j in [start, end)) of every window, mod 2**64."""
    length = len(values)
    capacity = _capacity(length + 1)
    powers = _powers(base, capacity)
    inverse_powers = _powers(pow(base, -1, 1 << 64), capacity)
    # weight_j = base**(length-1-j); prefix[i] = sum of values[j] * weight_j for j < i.
    weighted = values * powers[length - 1 :: -1] if length else values
    prefix = np.zeros(length + 1, dtype=np.uint64)
    np.cumsum(weighted, dtype=np.uint64, out=prefix[1:])
    return (prefix[ends] - prefix[starts]) * inverse_powers[length - ends]


def _finish(hashes: np.ndarray) -> np.ndarray:
    return (_fmix(hashes, 64) >> np.uint64(32)).astype(np.uint32)


def _windows(unit_documents: np.ndarray, documents: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows of ``size`` consecutive units within each document (one shorter window if fewer units)."""
    unit_counts = np.bincount(unit_documents, minlength=documents)
    unit_starts = np.zeros(documents + 1, dtype=np.int64)
    np.cumsum(unit_counts, out=unit_starts[1:])
    window_counts = np.where(unit_counts >= size, unit_counts - size + 1, np.minimum(unit_counts, 1))
    offsets = np.zeros(documents + 1, dtype=np.int64)
    np.cumsum(window_counts, out=offsets[1:])
    window_documents = np.repeat(np.arange(documents), window_counts)
    within = np.arange(offsets[-1], dtype=np.int64) - offsets[window_documents]
    starts = unit_starts[window_documents] + within
    ends = starts + np.minimum(size, unit_counts[window_documents])
    return starts, ends, offsets


def shingle_hashes(texts: Sequence[str], kind: ShingleKind = "word", size: int = 5) -> Shingles:
    """The shingle hashes of every text, in order."""
    if size < 1:
        raise ValueError(f"shingle size must be at least 1, got {size}")
    if len(texts) > CHUNK_DOCUMENTS:
        return Shingles.concatenate([_chunk_shingles(texts[start : start + CHUNK_DOCUMENTS], kind, size)
                                     for start in range(0, len(texts), CHUNK_DOCUMENTS)])
    return _chunk_shingles(texts, kind, size)


def _chunk_shingles(texts: Sequence[str], kind: ShingleKind, size: int) -> Shingles:
    prepared = [normalize(text) for text in texts]
    documents = len(prepared)
    # One byte array for the chunk; a separating space keeps tokens from running across documents.
    lengths = np.fromiter(
        (len(text) if text.isascii() else len(text.encode("utf-8")) for text in prepared), dtype=np.int64, count=documents
    )
    data = np.frombuffer((" ".join(prepared) + " ").encode("utf-8"), dtype=np.uint8)
    document_starts = np.zeros(documents + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=document_starts[1:])

    # Letters, digits, and bytes of multi-byte characters (arithmetic on uint8 is faster than a table).
    is_word = np.zeros(len(data) + 2, dtype=bool)
    is_word[1:-1] = (data >= 0x80) | (((data | 0x20) - np.uint8(ord("a"))) < 26) | ((data - np.uint8(ord("0"))) < 10)
    changes = np.flatnonzero(is_word[1:] != is_word[:-1])
    token_starts, token_ends = changes[0::2], changes[1::2]
    if not all(text.isascii() for text in prepared):
        token_starts, token_ends = _split_unspaced(data, token_starts, token_ends)
    token_documents = np.searchsorted(document_starts, token_starts, side="right") - 1

    if kind == "word":
        unit_values = _packed_hashes(data, token_starts, token_ends)
        unit_documents = token_documents
    elif kind == "char":
        unit_values, unit_documents = _characters(data, is_word[1:-1], token_ends, token_documents)
    else:
        raise ValueError(f"unknown shingle kind {kind!r} (word or char)")

    starts, ends, offsets = _windows(unit_documents, documents, size)
    hashes = _window_hashes(unit_values, starts, ends, _UNIT_BASE)
    return Shingles(_finish(hashes), offsets)


def _split_unspaced(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token boundaries before and after every character of an unspaced script (3 UTF-8 bytes each)."""
    leads = np.flatnonzero((data[:-2] & 0xF0) == 0xE0)
    code_points = (((data[leads].astype(np.int64) & 0x0F) << 12) | ((data[leads + 1].astype(np.int64) & 0x3F) << 6)
                   | (data[leads + 2].astype(np.int64) & 0x3F))
    unspaced = np.zeros(len(leads), dtype=bool)
    for low, high in UNSPACED_RANGES:
        unspaced |= (code_points >= low) & (code_points <= high)
    cuts = sorted_unique(np.concatenate((leads[unspaced], leads[unspaced] + 3)))
    # A cut strictly inside a token splits it; cuts at a token's edge change nothing.
    token = np.maximum(np.searchsorted(starts, cuts, side="right") - 1, 0)
    inside = (cuts > starts[token]) & (cuts < ends[token]) if len(starts) else np.zeros(len(cuts), dtype=bool)
    extra = cuts[inside]
    return (np.insert(starts, np.searchsorted(starts, extra), extra),
            np.insert(ends, np.searchsorted(ends, extra), extra))


def _characters(data, is_word, token_ends, token_documents):
    """Per character of every token a hash of its UTF-8 bytes, with a space unit between tokens of a document."""
    leading = is_word & ((data & 0xC0) != 0x80)
    char_starts = np.flatnonzero(leading)
    # A character ends where the next one starts or its token ends, whichever comes first.
    next_start = np.append(char_starts[1:], len(data))
    token_of_char = np.searchsorted(token_ends, char_starts, side="right")
    char_ends = np.minimum(next_start, token_ends[token_of_char])
    char_values = _packed_hashes(data, char_starts, char_ends)
    char_documents = token_documents[token_of_char]

    # The separator between consecutive tokens of the same document, placed at the first token's end.
    joined = np.flatnonzero(token_documents[1:] == token_documents[:-1])
    space_positions = token_ends[joined]
    # Spaces first: where a script without spaces was split, a token ends where the next begins.
    positions = np.concatenate((space_positions, char_starts))
    order = np.argsort(positions, kind="stable")
    values = np.concatenate((np.full(len(space_positions), _SPACE_UNIT), char_values))[order]
    documents = np.concatenate((token_documents[joined], char_documents))[order]
    return values, documents


def _packed_hashes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each byte range: its bytes read 8 at a time as integers, combined, then mixed.

    Most words fit in one 8-byte read, so this costs a few operations per token rather than per byte.
    """
    padded = np.concatenate((data, np.zeros(8, dtype=np.uint8)))
    # Every byte offset viewed as the start of a little-endian uint64 (unaligned, stride 1).
    words = np.ndarray(shape=(len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))
    lengths = ends - starts
    hashes = words[starts]
    hashes &= _BYTE_MASKS[np.minimum(lengths, 8)]
    hashes ^= lengths.astype(np.uint64) * np.uint64(_UNIT_BASE)
    longer = np.flatnonzero(lengths > 8)
    offset = 8
    while len(longer):
        chunk = words[starts[longer] + offset] & _BYTE_MASKS[np.minimum(lengths[longer] - offset, 8)]
        hashes[longer] = (hashes[longer] * np.uint64(_BYTE_BASE)) ^ chunk
        offset += 8
        longer = longer[lengths[longer] > offset]
    return _fmix(hashes * np.uint64(_BYTE_BASE), 64)
