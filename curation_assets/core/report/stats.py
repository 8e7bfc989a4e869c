"""Statistics that make staring at the data effortless: lengths, openings, odd characters, outliers.

Every function takes a records frame and returns plain Python data (dicts and lists), so the same
numbers feed the warehouse table, the Dagster metadata, the plots and the data card.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Iterable

import numpy as np
import pandas as pd

from curation_assets.core.records import TEXT_FIELDS
from curation_assets.core.report.tokenizer import load_tokenizer
from curation_assets.core.text.tokens import words

PERCENTILES = (0, 5, 25, 50, 75, 95, 99, 100)

# Markers of other chat templates or tokenizers that leak into text and confuse a fine-tuned model.
_SPECIAL_TOKENS = re.compile(
    r"<\|[a-z_]+\|>|\[/?INST\]|<</?SYS>>|</?s>|<unk>|<pad>|<mask>|\[CLS\]|\[SEP\]|^###\s?(?:Instruction|Response|Input):",
    re.IGNORECASE | re.MULTILINE,
)
_ZERO_WIDTH = set("\u200b\u200c\u200d\u2060\ufeff")
# Openings that wrap the real request: "Can you please tell me ..." asks to "tell". Words as
# core/text/tokens.py splits them: "let's" is "let", "s" and "I'd" is "i", "d".
_WRAPPERS = (
    "please", "can", "could", "would", "will", "you", "i", "we", "want", "need", "to", "me", "us", "help",
    "kindly", "now", "also", "then", "just", "lets", "let", "s", "d", "like", "how", "do", "does",
)
_DETERMINERS = {"a", "an", "the", "this", "that", "these", "those", "my", "your", "our", "their", "its", "his",
                "her", "some", "any", "each", "every", "all", "me", "us", "them", "it", "following", "given"}
_IMPERATIVE_VERBS = {
    "add", "analyze", "answer", "arrange", "ask", "assign", "calculate", "categorize", "change", "check",
    "choose", "classify", "combine", "compare", "complete", "compose", "compute", "convert", "correct", "count",
    "create", "debug", "decide", "define", "describe", "design", "detect", "determine", "develop", "draft",
    "edit", "estimate", "evaluate", "explain", "extract", "fill", "find", "fix", "format", "generate", "give",
    "guess", "identify", "implement", "improve", "infer", "label", "list", "make", "match", "name", "order",
    "organize", "outline", "paraphrase", "plan", "predict", "provide", "rank", "rate", "recommend", "reorder",
    "rephrase", "replace", "respond", "rewrite", "select", "show", "simplify", "solve", "sort", "suggest",
    "summarize", "tell", "translate", "use", "verify", "write",
}


def percentiles(values: Iterable[float]) -> dict[str, float]:
    array = np.asarray(list(values), dtype=float)
    if array.size == 0:
        return {f"p{p}": 0.0 for p in PERCENTILES} | {"mean": 0.0}
    quantiles = np.percentile(array, PERCENTILES)
    return {f"p{p}": round(float(q), 1) for p, q in zip(PERCENTILES, quantiles)} | {"mean": round(float(array.mean()), 1)}


def token_counts(texts: pd.Series, tokenizer: str) -> np.ndarray:
    """Tokens per text with the configured tokenizer (``tokenizer.py``): a language model's tokens, not
    words (those are ``core/text/tokens.py``'s)."""
    # One text at a time: the batch call's thread pool costs more than it saves; parallelism
    # comes from profiling shards on the worker pool.
    count = load_tokenizer(tokenizer).count
    return np.fromiter((count(text) for text in texts.fillna("").tolist()), dtype=np.int64, count=len(texts))


def counts(frame: pd.DataFrame, column: str) -> dict[str, int]:
    return {str(key): int(value) for key, value in frame[column].value_counts().sort_index().items()}


def first_words(text: str, count: int) -> list[str]:
    """``words(text)[:count]``, tokenizing only the text's start when that holds them."""
    head = words(text[: 16 * count + 64])
    # Only the last word of the start can be cut short: with more words than asked, the first are whole.
    return head[:count] if len(head) > count else words(text)[:count]


def opening_counts(instructions: pd.Series, length: int = 2) -> Counter:
    """Records per first ``length`` words of the instructions."""
    counter = Counter(" ".join(first_words(text, length)) for text in instructions.fillna(""))
    counter.pop("", None)
    return counter


def opening_words(instructions: pd.Series, top: int, length: int = 2) -> list[tuple[str, int]]:
    """The most common first ``length`` words of the instructions."""
    return opening_counts(instructions, length).most_common(top)


def verb_object(instruction: str) -> tuple[str, str] | None:
    """A heuristic (verb, direct object) of an instruction's request, as in Microsoft's GPT-4 data study.

    No POS tagger (its models would need a download): skip polite wrappers, take the first known
    imperative verb among the first words, then the first following word that is not a determiner.
    """
    opening = first_words(instruction.split("\n", 1)[0], 12)
    for index, word in enumerate(opening):
        if word in _IMPERATIVE_VERBS:
            for candidate in opening[index + 1:]:
                if candidate not in _DETERMINERS:
                    return word, candidate
            return None
        if word not in _WRAPPERS:
            return None
    return None


@lru_cache(maxsize=None)
def _character_kind(char: str) -> str | None:
    if char in _ZERO_WIDTH:
        return "zero_width"
    if char == "\ufffd":
        return "replacement_character"
    category = unicodedata.category(char)
    if category == "Cc" and char not in "\n\t":
        return "control"
    if category == "Co":
        return "private_use"
    if category == "Cs":
        return "surrogate"
    return None


# Every character ``_character_kind`` names (control characters but newline and tab, private use,
# surrogates, zero-width, U+FFFD): one regex scan in C finds them, instead of a Python call per character.
_ODD_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200c\u200d\u2060\ufeff\ufffd\ue000-\uf8ff"
    "\ud800-\udfff\U000f0000-\U000ffffd\U00100000-\U0010fffd]"
)


def odd_character_kinds(text: str) -> list[str]:
    """The kinds of odd characters in ``text``, sorted, each once."""
    return sorted({kind for kind in map(_character_kind, _odd_character_set(text)) if kind})


def _odd_character_set(text: str) -> set[str]:
    # Every odd character but U+FFFD is unprintable (control, format, private use, surrogate), and so
    # are newline and tab, which are not odd: a C-level test clears nearly every record before the scan.
    if "\ufffd" not in text and text.replace("\n", " ").replace("\t", " ").isprintable():
        return set()
    return set(_ODD_CHARACTERS.findall(text))


def odd_characters(frame: pd.DataFrame, examples: int = 3) -> dict[str, dict]:
    """Special tokens of chat templates and odd characters, with counts of records and a few examples."""
    found: dict[str, dict] = {}

    def note(kind: str, record_id: str, snippet: str) -> None:
        entry = found.setdefault(kind, {"records": 0, "examples": []})
        entry["records"] += 1
        if len(entry["examples"]) < examples:
            entry["examples"].append({"record_id": record_id, "snippet": snippet[:120]})

    columns = [frame[field].fillna("").astype(str).tolist() for field in TEXT_FIELDS]
    for record_id, *parts in zip(frame["record_id"].astype(str).tolist(), *columns):
        text = "\n".join(parts)
        # Every special token starts with one of these characters: most records need no regex scan.
        token = _SPECIAL_TOKENS.search(text) if "<" in text or "[" in text or "#" in text else None
        if token:
            note(f"special_token {token.group(0).strip()}", record_id, text[max(0, token.start() - 40):token.end() + 40])
        for kind in odd_character_kinds(text):
            note(kind, record_id, text)
    return dict(sorted(found.items()))


@lru_cache(maxsize=None)
def _script_of(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    return name.split(" ")[0] if name else "UNKNOWN"


_ASCII_LETTER = re.compile(r"[A-Za-z]")
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")
_ASCII_LETTER_BYTES = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))


def dominant_script(text: str) -> str:
    """The Unicode script most letters of ``text`` belong to (Latin, Cyrillic, CJK, ...); of scripts
    with as many letters, the one whose first letter comes first.

    ASCII letters are counted in C; only the distinct characters beyond ASCII are looked up."""
    first_ascii = _ASCII_LETTER.search(text)
    if text.isascii():
        return "Latin" if first_ascii else "none"
    scripts: dict[str, list[int]] = {}  # script -> [letters, position of its first letter]
    if first_ascii is not None:
        encoded = text.encode("utf-8", "surrogatepass")
        scripts["LATIN"] = [len(encoded) - len(encoded.translate(None, _ASCII_LETTER_BYTES)), first_ascii.start()]
    for char, occurrences in Counter(_ASCII_RUNS.sub("", text)).items():
        script = _script_of(char)
        if script is None:
            continue
        entry = scripts.setdefault(script, [0, len(text)])
        entry[0] += occurrences
        entry[1] = min(entry[1], text.find(char))
    if not scripts:
        return "none"
    script = min(scripts, key=lambda name: (-scripts[name][0], scripts[name][1]))
    return {"CJK": "CJK", "HIRAGANA": "Japanese kana", "KATAKANA": "Japanese kana", "HANGUL": "Hangul"}.get(
        script, script.title()
    )


def script_mix(frame: pd.DataFrame) -> dict[str, int]:
    texts = frame["instruction"].fillna("") + " " + frame["response"].fillna("")
    return dict(Counter(map(dominant_script, texts)).most_common())


def language_mix(frame: pd.DataFrame) -> dict[str, int]:
    """Records per language of instruction + response (CLD2, offline); 'unknown' when CLD2 is unsure."""
    from curation_assets.core.text.language import judged_language

    texts = frame["instruction"].fillna("") + "\n" + frame["response"].fillna("")
    guesses = (judged_language(text, min_letters=0) for text in texts)
    return dict(Counter(guess.code if guess else "unknown" for guess in guesses).most_common())
