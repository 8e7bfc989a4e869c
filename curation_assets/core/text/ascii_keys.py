"""ASCII texts reduced to what the dedup keys hash, a whole batch per compiled pass (Numba).

Dedup keys every record by its normalized text (``records.normalize_text``: NFKC, casefold,
whitespace runs collapsed) and its response's words (``tokens.words``). Per text in Python that is
about 70 µs a record (measured on the scale corpus: as long as MinHash signing), most of it building
and joining word strings. On ASCII text both reductions are byte rules: NFKC changes nothing,
casefold is lowercase, ``str.isspace`` is ten byte values, a word is a run of letters and digits.
So the batch's ASCII texts go through one buffer here; the others keep the Python definitions.
"""

from __future__ import annotations

from typing import Sequence

import numba
import numpy as np

from curation_assets.core.text.batch_measures import ASCII_SPACE

ASCII_ALNUM = np.array([code < 128 and chr(code).isalnum() for code in range(256)], dtype=np.bool_)


def collapsed(texts: Sequence[str]) -> list[bytes]:
    """Per ASCII text, ``" ".join(text.lower().split())`` as bytes: ``normalize_text`` on ASCII."""
    data, starts, ends = _buffer(texts)
    out = np.empty(len(data), dtype=np.uint8)
    out_starts, out_ends = np.empty(len(texts), np.int64), np.empty(len(texts), np.int64)
    _collapse(data, starts, ends, ASCII_SPACE, out, out_starts, out_ends)
    return _pieces(out, out_starts, out_ends)


def words(texts: Sequence[str]) -> tuple[list[bytes], np.ndarray]:
    """Per ASCII text, its words (runs of letters and digits, lowercased) joined by single spaces,
    and how many there are: ``tokens.words`` on ASCII."""
    data, starts, ends = _buffer(texts)
    out = np.empty(len(data), dtype=np.uint8)
    out_starts, out_ends = np.empty(len(texts), np.int64), np.empty(len(texts), np.int64)
    counts = np.empty(len(texts), np.int64)
    _words(data, starts, ends, ASCII_ALNUM, out, out_starts, out_ends, counts)
    return _pieces(out, out_starts, out_ends), counts


def _buffer(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    ends = np.cumsum(lengths)
    return np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint8), ends - lengths, ends


def _pieces(out: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[bytes]:
    joined = out[: ends[-1]].tobytes() if len(ends) else b""
    return [joined[start:end] for start, end in zip(starts.tolist(), ends.tolist())]


@numba.njit(cache=True, nogil=True)
def _collapse(data, starts, ends, space, out, out_starts, out_ends):  # pragma: no cover - compiled
    at = 0
    for text in range(len(starts)):
        out_starts[text] = at
        gap = False
        for position in range(starts[text], ends[text]):
            byte = data[position]
            if space[byte]:
                gap = at > out_starts[text]
                continue
            if gap:
                out[at] = 32
                at += 1
                gap = False
            out[at] = byte + 32 if 65 <= byte <= 90 else byte
            at += 1
        out_ends[text] = at


@numba.njit(cache=True, nogil=True)
def _words(data, starts, ends, alnum, out, out_starts, out_ends, counts):  # pragma: no cover - compiled
    at = 0
    for text in range(len(starts)):
        out_starts[text] = at
        found = 0
        inside = False
        for position in range(starts[text], ends[text]):
            byte = data[position]
            if not alnum[byte]:
                inside = False
                continue
            if not inside:
                if found:
                    out[at] = 32
                    at += 1
                found += 1
                inside = True
            out[at] = byte + 32 if 65 <= byte <= 90 else byte
            at += 1
        out_ends[text] = at
        counts[text] = found
