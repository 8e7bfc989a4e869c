"""Every key the dedup passes compare, computed once per record from its text.

Normalizing and tokenizing text is most of what dedup costs outside MinHash (measured: two thirds
of the step at 1M records went to computing these again for each pass and for ``dedup_history``),
so each record's text is normalized and its response tokenized exactly once, here, and exact
dedup, the history match, conflict detection and the history rows all read the result.

- ``content_key``: the normalized exact-dedup fields (NFKC, casefold, whitespace), hashed;
- ``prompt_key``: the normalized instruction + input: "the same prompt";
- ``response_key``: the response's words (case, punctuation and spacing aside): "the same response";
- ``response_tokens``: how many words the response has.
"""

from __future__ import annotations

import hashlib
import json
from typing import Sequence

import numpy as np
import pandas as pd

from curation_assets.core.records import NO_TURNS, normalize_text
from curation_assets.core.text import ascii_keys
from curation_assets.core.text.tokens import words

KEY_COLUMNS = ("content_key", "prompt_key", "response_key", "response_tokens")
PROMPT_FIELDS = ("instruction", "input")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def words_key(text: str) -> tuple[str, int]:
    """The digest of ``text``'s words (``tokens.words``) joined by spaces, and how many there are
    (``record_keys`` takes a batch's ASCII texts through ascii_keys.py instead, to the same result)."""
    found = words(text)
    return digest(" ".join(found)), len(found)


def _normalized(texts: list[str]) -> list[bytes]:
    """``normalize_text`` of each text, UTF-8 encoded; ASCII texts a batch at a time (ascii_keys.py)."""
    is_ascii = [text.isascii() for text in texts]
    if all(is_ascii):
        return ascii_keys.collapsed(texts)
    reduced = iter(ascii_keys.collapsed([text for text, plain in zip(texts, is_ascii) if plain]))
    return [next(reduced) if plain else normalize_text(text).encode("utf-8") for text, plain in zip(texts, is_ascii)]


def _response_keys(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """``words_key`` of each text; ASCII texts a batch at a time (ascii_keys.py)."""
    is_ascii = np.fromiter(map(str.isascii, texts), dtype=bool, count=len(texts))
    joined, found = ascii_keys.words([text for text, plain in zip(texts, is_ascii) if plain])
    reduced = iter(joined)
    keys = [hashlib.sha256(next(reduced)).hexdigest()[:24] if plain else "" for plain in is_ascii]
    counts = np.zeros(len(texts), dtype=np.int64)
    counts[is_ascii] = found
    for row in np.flatnonzero(~is_ascii):
        keys[row], counts[row] = words_key(texts[row])
    return keys, counts


def _digests(normalized: dict[str, list[bytes]], fields: Sequence[str]) -> list[str]:
    """The digest of each record's normalized ``fields`` joined by a unit separator (``digest`` of the joined text)."""
    return [hashlib.sha256(b"\x1f".join(parts)).hexdigest()[:24] for parts in zip(*(normalized[field] for field in fields))]


def turn_texts(frame: pd.DataFrame, roles: Sequence[str] | None) -> list[str]:
    """Per record, its earlier turns' texts of ``roles`` (None: every turn) joined by blank lines; "" when none."""
    if "earlier_turns" not in frame:
        return [""] * len(frame)
    return ["" if turns == NO_TURNS else "\n\n".join(turn["content"] for turn in json.loads(turns)
                                                     if roles is None or turn["role"] in roles)
            for turns in frame["earlier_turns"].fillna(NO_TURNS)]


def _with_more(keys: list[str], normalized: dict[str, list[bytes]], fields: Sequence[str], more: list[str]) -> list[str]:
    """A record with more texts (earlier turns, a rejected answer) has them in its key too; a single-turn
    record's key is its fields' alone, as it always was, so dedup_history's earlier keys still match."""
    for row in [row for row, text in enumerate(more) if text]:
        parts = [normalized[field][row] for field in fields] + [normalize_text(more[row]).encode("utf-8")]
        keys[row] = hashlib.sha256(b"\x1f".join(parts)).hexdigest()[:24]
    return keys


def record_keys(frame: pd.DataFrame, exact_fields: Sequence[str], compared_roles: Sequence[str] | None = ("user",)) -> pd.DataFrame:
    """``KEY_COLUMNS`` per record of ``frame``, indexed by record id.

    The content key also covers the earlier turns of ``compared_roles`` and a pair's rejected answer;
    the prompt key covers every earlier turn (the same conversation so far) and marks a pair with its
    rejected answer, so conflicts are found between supervised answers to one conversation only.
    """
    normalized = {field: _normalized(frame[field].fillna("").astype(str).tolist())
                  for field in dict.fromkeys([*exact_fields, *PROMPT_FIELDS])}
    response_keys, response_tokens = _response_keys(frame["response"].fillna("").astype(str).tolist())
    rejected = (frame["rejected_response"].fillna("").astype(str).tolist() if "rejected_response" in frame
                else [""] * len(frame))
    compared = [f"{turns}\x1e{answer}" if turns or answer else ""
                for turns, answer in zip(turn_texts(frame, compared_roles), rejected)]
    prefix = [f"{turns}\x1e{answer}" if turns or answer else ""
              for turns, answer in zip(turn_texts(frame, None), rejected)]
    return pd.DataFrame(
        {
            "content_key": _with_more(_digests(normalized, exact_fields), normalized, exact_fields, compared),
            "prompt_key": _with_more(_digests(normalized, PROMPT_FIELDS), normalized, PROMPT_FIELDS, prefix),
            "response_key": response_keys,
            "response_tokens": response_tokens,
        },
        index=pd.Index(frame["record_id"].astype(str).to_numpy(), name="record_id"),
        columns=list(KEY_COLUMNS),
    )


def keys_of(keys: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``keys`` for ``frame``'s records, in ``frame``'s order and index."""
    return keys.loc[frame["record_id"].astype(str).to_numpy()].set_axis(frame.index)
