"""Transformation-based augmentation: typos, casing, gender-term swaps, each recorded in lineage.

Typos and casing change only the instruction (robustness to how users type); a gender swap
changes instruction, input and response together so the pair stays consistent.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

_KEYBOARD_NEIGHBOURS = {
    "a": "qsz", "b": "vgn", "c": "xdv", "d": "sfe", "e": "wrd", "f": "dgr", "g": "fht", "h": "gjy", "i": "uok",
    "j": "hku", "k": "jli", "l": "ko", "m": "n", "n": "bm", "o": "ipl", "p": "o", "q": "wa", "r": "etf",
    "s": "adw", "t": "ryg", "u": "yij", "v": "cb", "w": "qes", "x": "zc", "y": "tuh", "z": "xa",
}
TYPO_RATE = 0.04  # per letter; about one typo in a 25-letter instruction

_GENDER_PAIRS = [
    ("he", "she"), ("him", "her"), ("his", "her"), ("himself", "herself"), ("man", "woman"), ("men", "women"),
    ("boy", "girl"), ("boys", "girls"), ("father", "mother"), ("fathers", "mothers"), ("son", "daughter"),
    ("sons", "daughters"), ("brother", "sister"), ("brothers", "sisters"), ("husband", "wife"),
    ("husbands", "wives"), ("king", "queen"), ("mr", "ms"), ("uncle", "aunt"), ("nephew", "niece"),
    ("grandfather", "grandmother"), ("gentleman", "lady"), ("gentlemen", "ladies"), ("boyfriend", "girlfriend"),
]
# "her" maps back to "his" or "him" depending on grammar we do not parse; "his" is the common case.
_GENDER_SWAP = {**{a: b for a, b in _GENDER_PAIRS}, **{b: a for a, b in reversed(_GENDER_PAIRS)}}
_GENDER_SWAP["her"] = "his"
_WORD = re.compile(r"[A-Za-z]+")


@dataclass
class Transformed:
    instruction: str
    input: str
    response: str
    changes: int  # how many edits the transform made; 0 means the record is unchanged


def typos(instruction: str, input_: str, response: str, rng: random.Random) -> Transformed:
    characters, changes = list(instruction), 0
    for index, character in enumerate(characters):
        lower = character.lower()
        if lower in _KEYBOARD_NEIGHBOURS and rng.random() < TYPO_RATE:
            operation = rng.choice(("neighbour", "drop", "double"))
            changes += 1
            if operation == "neighbour":
                replacement = rng.choice(_KEYBOARD_NEIGHBOURS[lower])
                characters[index] = replacement.upper() if character.isupper() else replacement
            elif operation == "drop":
                characters[index] = ""
            else:
                characters[index] = character * 2
    return Transformed("".join(characters), input_, response, changes)


def casing(instruction: str, input_: str, response: str, rng: random.Random) -> Transformed:
    style = rng.choice(("lower", "upper", "no_initial_capital"))
    if style == "lower":
        changed = instruction.lower()
    elif style == "upper":
        changed = instruction.upper()
    else:
        changed = instruction[:1].lower() + instruction[1:]
    return Transformed(changed, input_, response, int(changed != instruction))


def _swap_gender_terms(text: str) -> tuple[str, int]:
    changes = 0

    def replace(match: re.Match) -> str:
        nonlocal changes
        word = match.group(0)
        swapped = _GENDER_SWAP.get(word.lower())
        if swapped is None:
            return word
        changes += 1
        if word.isupper() and len(word) > 1:
            return swapped.upper()
        return swapped.capitalize() if word[0].isupper() else swapped

    return _WORD.sub(replace, text), changes


def gender_swap(instruction: str, input_: str, response: str, rng: random.Random) -> Transformed:
    parts = [_swap_gender_terms(text) for text in (instruction, input_, response)]
    return Transformed(parts[0][0], parts[1][0], parts[2][0], sum(changes for _, changes in parts))


TRANSFORMS = {"typos": typos, "casing": casing, "gender_swap": gender_swap}
