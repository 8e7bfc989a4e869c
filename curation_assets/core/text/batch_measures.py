"""Per-text measures of a whole batch of texts, each computed in one compiled pass (Numba).

The quality rules judge about a kilobyte per record, and each Python-level step per text (split
into word strings, lowercase, a set of word pairs) costs more than the arithmetic the rules
need. Here a batch's texts are laid end to end in one UTF-8 buffer and a compiled loop walks it
once per measure, at a few nanoseconds a byte. Each measure keeps the definition of the Python
it replaces: whitespace is ``str.isspace`` (the tables below are built from it, for every code
point), characters are code points. One measure (``restated_pair_hits``) leaves Unicode
lowercasing and ``\\w`` to Python: it decides only records whose non-ASCII characters are mere
separators, and says which.

Two measures hash words (64-bit): equal words always hash alike, so a repeat is never missed and
a collision can only add one. Their callers use them as bounds (``repeated_bigram_chars``) or
confirm what crosses a threshold with the exact definition (``restated_pair_hits``).

Compiled code is cached on disk (``cache=True``) beside this module: a process loads it in well
under a second instead of compiling it again.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numba
import numpy as np

# str.isspace(): per ASCII byte value, and the other code points (sorted). Python's \w on ASCII
# (letters, digits, underscore), per byte value.
ASCII_SPACE = np.array([code < 128 and chr(code).isspace() for code in range(256)], dtype=np.bool_)
OTHER_SPACES = np.array([code for code in range(128, 0x3001) if chr(code).isspace()], dtype=np.int64)
WORD_CHARACTER = np.array([code < 128 and (chr(code).isalnum() or chr(code) == "_") for code in range(256)],
                          dtype=np.bool_)

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_PAIR_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


@dataclass
class EncodedTexts:
    """A batch's texts as one UTF-8 buffer (lone surrogates kept): text i is ``data[starts[i]:ends[i]]``."""

    data: np.ndarray  # uint8
    starts: np.ndarray  # int64
    ends: np.ndarray  # int64
    _word_stats: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def of(cls, texts: Sequence[str]) -> "EncodedTexts":
        """The texts encoded; the rules of a stage judge the same texts one after another, so the
        last few batches are remembered and one holding these very str objects is reused."""
        texts = list(texts)
        wanted: list[np.ndarray] = []  # the texts' ids, computed once if some lookup needs them
        for remembered in _REMEMBERED:
            found = remembered.find(texts, wanted)
            if found is not None:
                return found
        parts = [text.encode("utf-8", "surrogatepass") for text in texts]
        byte_lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        ends = np.cumsum(byte_lengths)
        encoded = cls(np.frombuffer(b"".join(parts), dtype=np.uint8), ends - byte_lengths, ends)
        _REMEMBERED.insert(0, _Remembered(texts, encoded))
        del _REMEMBERED[_REMEMBERED_BATCHES:]
        return encoded

    def rows(self, rows: np.ndarray) -> "EncodedTexts":
        """The texts at ``rows`` (the buffer is shared), with what was measured of them so far."""
        stats = None if self._word_stats is None else (self._word_stats[0][rows], self._word_stats[1][rows])
        return EncodedTexts(self.data, self.starts[rows], self.ends[rows], stats)

    def __len__(self) -> int:
        return len(self.starts)


@dataclass
class _Remembered:
    texts: list[str]  # held, so the ids below stay theirs
    encoded: EncodedTexts
    _ids: tuple[np.ndarray, np.ndarray] | None = None  # the texts' ids sorted, and the row of each

    def find(self, texts: list[str], wanted: list[np.ndarray]) -> EncodedTexts | None:
        """These texts' encoding when all of them are among this batch's (``wanted`` caches their ids)."""
        if len(texts) == len(self.texts) and all(map(operator.is_, texts, self.texts)):
            return self.encoded
        if len(texts) > len(self.texts) or not texts:
            return None
        if self._ids is None:
            ids = _ids_of(self.texts)
            order = np.argsort(ids, kind="stable")
            self._ids = ids[order], order
        sorted_ids, order = self._ids
        if not wanted:
            wanted.append(_ids_of(texts))
        places = np.minimum(np.searchsorted(sorted_ids, wanted[0]), len(sorted_ids) - 1)
        if not np.array_equal(sorted_ids[places], wanted[0]):
            return None
        return self.encoded.rows(order[places])


def _ids_of(texts: list[str]) -> np.ndarray:
    return np.fromiter(map(id, texts), dtype=np.uint64, count=len(texts))


_REMEMBERED_BATCHES = 3
_REMEMBERED: list[_Remembered] = []


def split_word_stats(texts: EncodedTexts) -> tuple[np.ndarray, np.ndarray]:
    """Per text: ``len(text.split())`` and the characters of those words (computed once per batch)."""
    if texts._word_stats is None:
        texts._word_stats = _split_word_stats(texts.data, texts.starts, texts.ends, ASCII_SPACE, OTHER_SPACES)
    words, word_chars = texts._word_stats
    return words.copy(), word_chars.copy()


def symbol_counts(texts: EncodedTexts) -> np.ndarray:
    r"""Per text: runs of '#', non-overlapping '...' and each '\u2026' (``len(re.findall(r"#+|\.\.\.|\u2026", text))``)."""
    return _symbol_counts(texts.data, texts.starts, texts.ends)


def repeated_bigram_chars(texts: EncodedTexts) -> np.ndarray:
    """Per text, at least the characters inside its repeated 2-gram occurrences (words of ``text.split()``):
    the words inside an occurrence of a 2-gram seen twice or more, each counted once, plus one
    separator per such occurrence. Exact unless two different words hash alike (then larger)."""
    return _repeated_bigram_chars(texts.data, texts.starts, texts.ends, ASCII_SPACE, OTHER_SPACES)


def restated_pair_hits(instructions: EncodedTexts, responses: EncodedTexts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per record: whether it was decided here, the response's ``\\w+`` words, and how many of its
    consecutive word pairs (lowercased) are pairs of the instruction's words; exact unless word pairs
    hash alike (then more).

    A record is decided when every non-ASCII character of its two texts is one that neither ``\\w``
    matches nor ``str.lower`` changes (curly quotes, dashes, ellipses, no-break spaces, ...): such a
    character only separates words, so the ASCII definitions hold. Other records are left to Python.
    """
    return _restated_pair_hits(instructions.data, instructions.starts, instructions.ends, responses.data,
                               responses.starts, responses.ends, WORD_CHARACTER, _separator_only_characters())


@lru_cache(maxsize=1)
def _separator_only_characters() -> np.ndarray:
    """Per code point of the Basic Multilingual Plane: True when Python's ``\\w`` does not match it and
    ``str.lower`` leaves it as it is."""
    plane = "".join(map(chr, range(0x10000)))
    separator = np.ones(0x10000, dtype=np.bool_)
    separator[[match.start() for match in re.finditer(r"\w", plane)]] = False
    separator[[code for code, char in enumerate(plane) if char.lower() != char]] = False
    return separator


def whitespace_untouched(texts: EncodedTexts, removed: frozenset[int] | set[int]) -> np.ndarray:
    """Per text: True when whitespace normalization has nothing to do: no code point of ``removed`` or
    carriage return, no space or tab before a newline, no three newlines in a row, and no whitespace
    at either end."""
    removed_ascii = np.array([code in removed for code in range(256)], dtype=np.bool_) & (np.arange(256) < 128)
    removed_other = np.array(sorted(code for code in removed if code >= 128), dtype=np.int64)
    return _whitespace_untouched(texts.data, texts.starts, texts.ends, removed_ascii, removed_other,
                                 ASCII_SPACE, OTHER_SPACES)


def contains_any(texts: EncodedTexts, needles: Sequence[bytes], ignore_ascii_case: bool = False) -> np.ndarray:
    """Per text: whether one of ``needles`` (UTF-8 byte strings) occurs in it; ``ignore_ascii_case``
    compares ASCII letters case-insensitively."""
    if ignore_ascii_case:
        needles = [needle.lower() for needle in needles]
    flat = np.frombuffer(b"".join(needles), dtype=np.uint8)
    bounds = np.cumsum([0, *map(len, needles)]).astype(np.int64)
    first_bytes = np.zeros(256, dtype=np.bool_)
    for needle in needles:
        first_bytes[needle[0]] = True
        if ignore_ascii_case:
            first_bytes[needle[:1].upper()[0]] = True
    return _contains_any(texts.data, texts.starts, texts.ends, flat, bounds, first_bytes, ignore_ascii_case)


@numba.njit(cache=True, nogil=True)
def _contains_any(data, starts, ends, needles, bounds, first_bytes, ignore_ascii_case):
    count = len(starts)
    found = np.zeros(count, dtype=np.bool_)
    for text in range(count):
        end = ends[text]
        for position in range(starts[text], end):
            if not first_bytes[data[position]]:
                continue
            for needle in range(len(bounds) - 1):
                length = bounds[needle + 1] - bounds[needle]
                if position + length > end:
                    continue
                same = True
                for offset in range(length):
                    byte = data[position + offset]
                    if ignore_ascii_case and 65 <= byte <= 90:
                        byte += 32
                    if byte != needles[bounds[needle] + offset]:
                        same = False
                        break
                if same:
                    found[text] = True
                    break
            if found[text]:
                break
    return found


@numba.njit(cache=True, nogil=True)
def _decode(data, position):
    """The code point at ``position`` of valid UTF-8 (surrogates allowed) and where the next one starts."""
    lead = np.int64(data[position])
    if lead < 0x80:
        return lead, position + 1
    if lead < 0xE0:
        return ((lead & 0x1F) << 6) | (np.int64(data[position + 1]) & 0x3F), position + 2
    if lead < 0xF0:
        return (((lead & 0x0F) << 12) | ((np.int64(data[position + 1]) & 0x3F) << 6)
                | (np.int64(data[position + 2]) & 0x3F)), position + 3
    return (((lead & 0x07) << 18) | ((np.int64(data[position + 1]) & 0x3F) << 12)
            | ((np.int64(data[position + 2]) & 0x3F) << 6) | (np.int64(data[position + 3]) & 0x3F)), position + 4


@numba.njit(cache=True, nogil=True)
def _contains(sorted_values, value):
    place = np.searchsorted(sorted_values, value)
    return place < len(sorted_values) and sorted_values[place] == value


@numba.njit(cache=True, nogil=True)
def _is_space(code, ascii_space, other_spaces):
    if code < 128:
        return ascii_space[code]
    return _contains(other_spaces, code)


@numba.njit(cache=True, nogil=True)
def _split_word_stats(data, starts, ends, ascii_space, other_spaces):
    count = len(starts)
    words = np.zeros(count, dtype=np.int64)
    word_chars = np.zeros(count, dtype=np.int64)
    for text in range(count):
        in_word = False
        runs = 0
        chars = 0
        position = starts[text]
        while position < ends[text]:
            byte = data[position]
            if byte < 128:
                space = ascii_space[byte]
                position += 1
            else:
                code, position = _decode(data, position)
                space = _contains(other_spaces, code)
            if space:
                in_word = False
            else:
                chars += 1
                if not in_word:
                    runs += 1
                    in_word = True
        words[text] = runs
        word_chars[text] = chars
    return words, word_chars


@numba.njit(cache=True, nogil=True)
def _symbol_counts(data, starts, ends):
    # '#' and '.' are ASCII bytes, never part of a longer UTF-8 sequence: bytes can be read as characters.
    count = len(starts)
    symbols = np.zeros(count, dtype=np.int64)
    hash_mark, dot = 35, 46
    for text in range(count):
        found = 0
        previous = -1
        dots = 0
        start, end = starts[text], ends[text]
        for position in range(start, end):
            byte = data[position]
            if byte == hash_mark and previous != hash_mark:
                found += 1
            if byte == dot:
                dots += 1
            else:
                found += dots // 3
                dots = 0
            if byte == 0xE2 and position + 2 < end and data[position + 1] == 0x80 and data[position + 2] == 0xA6:
                found += 1  # U+2026 HORIZONTAL ELLIPSIS
            previous = byte
        symbols[text] = found + dots // 3
    return symbols


@numba.njit(cache=True, nogil=True)
def _table_size(entries):
    size = 16
    while size < 2 * entries:
        size *= 2
    return size


@numba.njit(cache=True, nogil=True)
def _slot(keys, used, key):
    """The slot of ``key`` in an open-addressing table (``keys``, ``used``; power-of-two size)."""
    mask = len(keys) - 1
    slot = np.int64(((key ^ (key >> np.uint64(29))) * _PAIR_MULTIPLIER) >> np.uint64(33)) & mask
    while used[slot] and keys[slot] != key:
        slot = (slot + 1) & mask
    return slot


@numba.njit(cache=True, nogil=True)
def _split_words(data, start, end, ascii_space, other_spaces, hashes, lengths):
    """The words of ``text.split()`` in data[start:end]: FNV hash of each word's bytes into ``hashes``,
    its characters into ``lengths``; returns how many."""
    words = 0
    position = start
    while position < end:
        byte = data[position]
        if byte < 128:
            if ascii_space[byte]:
                position += 1
                continue
        else:
            code, following = _decode(data, position)
            if _contains(other_spaces, code):
                position = following
                continue
        value = _FNV_OFFSET
        characters = 0
        while position < end:
            byte = data[position]
            if byte < 128:
                if ascii_space[byte]:
                    break
                value = (value ^ np.uint64(byte)) * _FNV_PRIME
                position += 1
            else:
                code, following = _decode(data, position)
                if _contains(other_spaces, code):
                    break
                for at in range(position, following):
                    value = (value ^ np.uint64(data[at])) * _FNV_PRIME
                position = following
            characters += 1
        hashes[words] = value
        lengths[words] = characters
        words += 1
    return words


@numba.njit(cache=True, nogil=True)
def _repeated_bigram_chars(data, starts, ends, ascii_space, other_spaces):
    count = len(starts)
    covered_chars = np.zeros(count, dtype=np.int64)
    longest = 0
    for text in range(count):
        longest = max(longest, ends[text] - starts[text])
    capacity = longest // 2 + 2
    word_hash = np.zeros(capacity, dtype=np.uint64)
    word_length = np.zeros(capacity, dtype=np.int64)
    pair_slot = np.zeros(capacity, dtype=np.int64)
    keys = np.zeros(_table_size(capacity), dtype=np.uint64)
    used = np.zeros(len(keys), dtype=np.bool_)
    seen = np.zeros(len(keys), dtype=np.int64)
    for text in range(count):
        words = _split_words(data, starts[text], ends[text], ascii_space, other_spaces, word_hash, word_length)
        if words < 3:
            continue  # one 2-gram at most: nothing repeats
        size = _table_size(words)
        table_keys, table_used, table_seen = keys[:size], used[:size], seen[:size]
        table_used[:] = False
        for word in range(words - 1):
            key = word_hash[word] * _PAIR_MULTIPLIER + word_hash[word + 1]
            slot = _slot(table_keys, table_used, key)
            if not table_used[slot]:
                table_keys[slot] = key
                table_used[slot] = True
                table_seen[slot] = 0
            table_seen[slot] += 1
            pair_slot[word] = slot
        chars = 0
        covered_until = -1  # the last word already counted
        for word in range(words - 1):
            if table_seen[pair_slot[word]] > 1:
                chars += 1  # the separator inside this occurrence
                if covered_until < word:
                    chars += word_length[word]
                chars += word_length[word + 1]
                covered_until = word + 1
        covered_chars[text] = chars
    return covered_chars


@numba.njit(cache=True, nogil=True)
def _lowercase_word_hashes(data, start, end, word_character, separator_only, out):
    """The FNV hashes of the lowercased \\w+ words of data[start:end], into ``out``; returns how many,
    or -1 when a non-ASCII character other than a ``separator_only`` one stands in the text."""
    words = 0
    position = start
    while position < end:
        byte = data[position]
        if byte >= 128:
            code, position = _decode(data, position)
            if code >= len(separator_only) or not separator_only[code]:
                return -1
            continue
        if not word_character[byte]:
            position += 1
            continue
        value = _FNV_OFFSET
        while position < end and word_character[data[position]]:
            byte = data[position]
            if 65 <= byte <= 90:
                byte += 32
            value = (value ^ np.uint64(byte)) * _FNV_PRIME
            position += 1
        out[words] = value
        words += 1
    return words


@numba.njit(cache=True, nogil=True)
def _restated_pair_hits(instruction_data, instruction_starts, instruction_ends, response_data, response_starts,
                        response_ends, word_character, separator_only):
    count = len(instruction_starts)
    decided = np.zeros(count, dtype=np.bool_)
    response_words = np.zeros(count, dtype=np.int64)
    hits = np.zeros(count, dtype=np.int64)
    longest = 0
    for record in range(count):
        longest = max(longest, instruction_ends[record] - instruction_starts[record],
                      response_ends[record] - response_starts[record])
    capacity = longest // 2 + 2
    instruction_hashes = np.zeros(capacity, dtype=np.uint64)
    response_hashes = np.zeros(capacity, dtype=np.uint64)
    keys = np.zeros(_table_size(capacity), dtype=np.uint64)
    used = np.zeros(len(keys), dtype=np.bool_)
    for record in range(count):
        responses = _lowercase_word_hashes(response_data, response_starts[record], response_ends[record],
                                           word_character, separator_only, response_hashes)
        instructions = _lowercase_word_hashes(instruction_data, instruction_starts[record],
                                              instruction_ends[record], word_character, separator_only,
                                              instruction_hashes)
        if responses < 0 or instructions < 0:
            continue
        decided[record] = True
        response_words[record] = responses
        if responses < 2 or instructions < 2:
            continue
        size = _table_size(instructions)
        table_keys, table_used = keys[:size], used[:size]
        table_used[:] = False
        for word in range(instructions - 1):
            key = instruction_hashes[word] * _PAIR_MULTIPLIER + instruction_hashes[word + 1]
            slot = _slot(table_keys, table_used, key)
            table_keys[slot] = key
            table_used[slot] = True
        found = 0
        for word in range(responses - 1):
            key = response_hashes[word] * _PAIR_MULTIPLIER + response_hashes[word + 1]
            if table_used[_slot(table_keys, table_used, key)]:
                found += 1
        hits[record] = found
    return decided, response_words, hits


@numba.njit(cache=True, nogil=True)
def _whitespace_untouched(data, starts, ends, removed_ascii, removed_other, ascii_space, other_spaces):
    count = len(starts)
    untouched = np.ones(count, dtype=np.bool_)
    newline, carriage_return, blank, tab = 10, 13, 32, 9
    for text in range(count):
        start, end = starts[text], ends[text]
        if start == end:
            continue
        first, _ = _decode(data, start)
        last_start = end - 1
        while data[last_start] & 0xC0 == 0x80:  # back to the last character's lead byte
            last_start -= 1
        last, _ = _decode(data, last_start)
        if _is_space(first, ascii_space, other_spaces) or _is_space(last, ascii_space, other_spaces):
            untouched[text] = False
            continue
        newlines = 0
        previous = 0
        position = start
        while position < end:
            code = np.int64(data[position])
            if code < 128:
                position += 1
                if removed_ascii[code]:
                    untouched[text] = False
                    break
            else:
                code, position = _decode(data, position)
                if _contains(removed_other, code):
                    untouched[text] = False
                    break
            if code == carriage_return:
                untouched[text] = False
                break
            if code == newline:
                newlines += 1
                if newlines == 3 or previous == blank or previous == tab:
                    untouched[text] = False
                    break
            else:
                newlines = 0
            previous = code
    return untouched


def split_word_stats_of(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per text: ``len(text.split())`` and the characters of those words."""
    return split_word_stats(EncodedTexts.of(texts))
