"""Secrets kept out of what the pipeline writes: rejection details and other text that leaves a stage.

Two kinds are replaced: the values of this process's environment variables whose names say they
hold a secret (``OPENAI_API_KEY``, ``AWS_SECRET_ACCESS_KEY``, ``HF_TOKEN``: whatever the config's
``llm.api_key_env`` names is one of these), wherever they appear, as ``[OPENAI_API_KEY redacted]``;
and text shaped like a known credential (the PII detectors for credentials in URLs, private keys
and API keys: ``core/clean/pii.py``), as their typed placeholders. A detail is where code under
verification, a failing LLM call or a parser puts what it saw: the one place where such text
reaches the warehouse, the data card and the exports is ``as_rejections``, which calls this.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Mapping, Sequence

SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
# Shorter values ("true", a port) would be replaced everywhere they happen to occur.
MIN_SECRET_CHARS = 8
CREDENTIAL_TYPES = ("CREDENTIALS", "PRIVATE_KEY", "API_KEY")


def secret_values(environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(value, variable name) of the secret-named variables, longest value first."""
    environ = os.environ if environ is None else environ
    found = {value: name for name, value in environ.items()
             if SECRET_NAME.search(name) and len(value.strip()) >= MIN_SECRET_CHARS}
    return sorted(found.items(), key=lambda item: -len(item[0]))


@lru_cache(maxsize=1)
def _credential_scanner():
    from curation_assets.core.clean.pii import PiiScanner

    return PiiScanner(CREDENTIAL_TYPES, prefilter="hyperscan")


def redact_secrets(texts: Sequence[str | None], environ: Mapping[str, str] | None = None) -> list[str | None]:
    """``texts`` with every secret value and credential-shaped span replaced (None and non-text kept)."""
    from curation_assets.core.clean.pii import redact

    values = secret_values(environ)
    cleaned = []
    for text in texts:
        if isinstance(text, str):
            for value, name in values:
                if value in text:
                    text = text.replace(value, f"[{name} redacted]")
        cleaned.append(text)
    at = [place for place, text in enumerate(cleaned) if isinstance(text, str) and text]
    for place, finds in zip(at, _credential_scanner().finds_batch([cleaned[place] for place in at])):
        if finds:
            cleaned[place] = redact(cleaned[place], finds)
    return cleaned
