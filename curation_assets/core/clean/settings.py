"""Settings of the clean stage: rewrites, PII, quality rules, language, safety."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from curation_assets.core.settings import Rule, Strict, TextField
from curation_assets.core.text.repetition import RepetitionLimits

PiiType = Literal[
    "CREDENTIALS", "PRIVATE_KEY", "API_KEY", "EMAIL", "IBAN", "CREDIT_CARD", "SSN", "PHONE", "IP_ADDRESS", "SECRET"
]


class PiiConfig(Strict):
    """Detect PII and secrets and replace each with a typed placeholder (``<EMAIL>``, ...).

    Whether a source's records are redacted or dropped is the source's ``pii`` setting.
    """

    enabled: bool = True
    types: list[PiiType] = list(PiiType.__args__)
    secret_min_entropy: float = Field(default=4.0, ge=0.0, description="bits per character, mixed-case tokens")
    secret_hex_min_entropy: float = Field(default=3.0, ge=0.0, description="bits per character, hex tokens (32+ chars)")


class TooLongRule(Rule):
    max_chars: int = Field(default=50_000, ge=1, description="any field longer → too_long")


class WordCountRule(Rule):
    min_words: int = Field(default=1, ge=0)
    max_words: int = Field(default=10_000, ge=1)


class MeanWordLengthRule(Rule):
    """Gopher's mean word length bounds (3-10 for web text; wider here for code, numbers and short answers).

    The lower bound catches letters spaced out one by one (mean 1.0); legitimate answers come close
    to it: a sudoku grid with a line of text scores about 1.5, a tune in ABC notation about 1.7.
    """

    min_length: float = Field(default=1.3, ge=0.0)
    max_length: float = Field(default=15.0, ge=0.0)
    min_words: int = Field(default=20, ge=1, description="shorter responses are not judged")


class SymbolRatioRule(Rule):
    """Gopher: '#' runs and ellipses per word. Gopher's 0.1 was set for web pages; a list of sentence
    starters or unfinished phrases (ten lines of seven words, each ending in '...') scores 0.14, so
    the maximum here is 0.2; text that is mostly ellipses or headings still scores far above it."""

    max_ratio: float = Field(default=0.2, ge=0.0)
    min_words: int = Field(default=20, ge=1)


class RepetitionRule(RepetitionLimits):
    """Gopher's repetition rules (measures in ``core/text/repetition.py``, shared with the dedup stage):
    repeated lines (``repeated_lines``), most frequent and duplicated n-grams (``repeated_ngrams``).

    The line limits are Gopher's; paragraphs are not judged (a repeated paragraph is repeated lines).
    The n-gram limits are two to four times Gopher's web-page values (0.20/0.18/0.16 and 0.15…0.10):
    step-by-step answers repeat their phrasing by design. Measured with the shared measure on GSM8K's
    7,473 worked solutions (the 3,435 of 50 words or more are judged), the largest values are
    0.29/0.29/0.36 for the top 2/3/4-gram and 0.43/0.38/0.38/0.38/0.33/0.33 for duplicate 5..10-grams;
    Gopher's values would drop 494 of them. An answer said three times scores 0.67 on duplicate
    n-grams and a looping sentence 0.87 or more. The limits below (unchanged from those tuned on the
    earlier measure) drop no GSM8K solution and catch those.
    """

    min_words: int = Field(default=50, ge=1, description="shorter responses are not judged")
    max_duplicate_line_fraction: float | None = Field(default=0.30, ge=0.0, le=1.0)
    max_duplicate_line_char_fraction: float | None = Field(default=0.20, ge=0.0, le=1.0)
    max_top_ngram_char_fraction: dict[int, float] = {2: 0.45, 3: 0.42, 4: 0.40}
    max_duplicate_ngram_char_fraction: dict[int, float] = {5: 0.60, 6: 0.58, 7: 0.56, 8: 0.54, 9: 0.52, 10: 0.50}


class RestatedInstructionRule(Rule):
    """A response whose word pairs are (almost) all in the instruction only restates it."""

    min_words: int = Field(default=5, ge=1, description="shorter responses (labels, names) are not judged")
    max_overlap: float = Field(default=0.9, ge=0.0, le=1.0)


DEFAULT_REFUSAL_PATTERNS = [
    r"\bas an ai(?: language)? model\b",
    r"\bas a(?:n)? (?:large )?language model\b",
    r"\bi(?:'m| am) (?:just |only )?an? (?:ai|artificial intelligence)(?: assistant| language model)?\b[^.]{0,40}"
    r"\b(?:can(?:no|')t|do(?: not|n't)|unable)\b",
    r"^\W*(?:i'm sorry|i am sorry|sorry|i apologi[sz]e)\b[^.]{0,60}\b(?:can(?:no|')t|unable to|not able to|won't)\b",
    r"^\W*i (?:can(?:no|')t|won't|will not|am unable to|'m unable to|am not able to) "
    r"(?:help|assist|provide|fulfil|fulfill|comply|do that|answer|create|generate)",
    r"\b(?:openai|anthropic)'s (?:use case|content|usage) polic",
    r"\bi do(?: not|n't) have (?:personal )?(?:opinions|feelings|emotions|the ability to browse|access to real-time)\b",
]
DEFAULT_PLACEHOLDER_PATTERNS = [
    r"\blorem ipsum dolor\b",
    r"\[(?:insert|your|placeholder|add|enter|todo)\b[^\]\n]{0,60}\]",
    r"<(?:insert|your|placeholder)\b[^>\n]{0,60}>",
    r"^\W*(?:n/?a|tbd|todo|to do|null|none|placeholder|xxx+|\.\.\.|-+|\?+)\W*$",
]


class PatternRule(Rule):
    patterns: list[str] = Field(default_factory=list, description="case-insensitive regexes, searched in the response")

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {error}") from error
        return patterns


class RefusalRule(PatternRule):
    patterns: list[str] = DEFAULT_REFUSAL_PATTERNS


class PlaceholderRule(PatternRule):
    patterns: list[str] = DEFAULT_PLACEHOLDER_PATTERNS


class QualityConfig(Strict):
    """Heuristics on the response (the text a model learns to write); each rule is its own reason."""

    too_long: TooLongRule = TooLongRule()
    word_count: WordCountRule = WordCountRule()
    mean_word_length: MeanWordLengthRule = MeanWordLengthRule()
    symbol_ratio: SymbolRatioRule = SymbolRatioRule()
    repetition: RepetitionRule = RepetitionRule()
    restated_instruction: RestatedInstructionRule = RestatedInstructionRule()
    refusal: RefusalRule = RefusalRule()
    placeholder: PlaceholderRule = PlaceholderRule()


class LanguageConfig(Rule):
    """Offline language identification (CLD2, its model is compiled into the package)."""

    allowed: list[str] = Field(default=["en"], min_length=1, description="ISO 639-1 codes")
    fields: list[TextField] = ["instruction"]
    min_chars: int = Field(default=40, ge=1, description="texts with fewer letters are too short to judge and kept")
    sample_chars: int = Field(default=2000, ge=1, description="only the first this many characters are judged")


class UnsafeConfig(Strict):
    """A blocklist of terms (whole words, case-insensitive) and an optional classifier hook."""

    blocklist: list[str] = []
    blocklist_files: list[str] = Field(default=[], description="one term a line; '#' starts a comment")
    classifier: str | None = Field(
        default=None, description="'module:function' taking a list of texts, returning one unsafe score each"
    )
    classifier_threshold: float = Field(default=0.5, ge=0.0, le=1.0)


class CleanConfig(Strict):
    # How the regex rules (PII, refusal, placeholder, blocklist) find their candidates. hyperscan: one
    # SIMD pass says which patterns can match, Python's re confirms only those; none: every regex on
    # every text. The results are the same; only the speed differs.
    prefilter: Literal["hyperscan", "none"] = "hyperscan"
    strip_html: bool = True
    fix_unicode: bool = True
    strip_markdown: list[TextField] = Field(
        default=[], description="fields whose Markdown is reduced to text (responses may keep it for chat targets)"
    )
    normalize_whitespace: bool = True
    min_instruction_chars: int = Field(default=1, ge=1)
    min_response_chars: int = Field(default=1, ge=1)
    pii: PiiConfig = PiiConfig()
    quality: QualityConfig = QualityConfig()
    language: LanguageConfig = LanguageConfig()
    unsafe: UnsafeConfig = UnsafeConfig()
    examples_per_rule: int = Field(default=3, ge=0, description="dropped examples per rule in the asset metadata")
