"""Secrets are replaced in what leaves a stage: environment values named as secrets, and text shaped
like a credential; nothing else is touched."""

from __future__ import annotations

import pandas as pd

from curation_assets.core.records import as_rejections
from curation_assets.core.secrets import redact_secrets

ENVIRON = {"OPENAI_API_KEY": "sk-planted-7f3a9c7f3a9c7f3a9c", "HF_TOKEN": "hf_abcdefghijklmnop",
           "SHORT_TOKEN": "abc", "HOME": "/root/somewhere/long"}


def test_environment_secrets_and_credential_shapes_are_replaced():
    texts = [
        "stolen: OPENAI_API_KEY=sk-planted-7f3a9c7f3a9c7f3a9c and HF_TOKEN=hf_abcdefghijklmnop",
        "AssertionError: abc is not /root/somewhere/long",  # short or not secret-named: kept
        "a key in the wild: AKIAIOSFODNN7EXAMPLE",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq9\n-----END RSA PRIVATE KEY-----",
        None,
        "",
    ]
    redacted = redact_secrets(texts, ENVIRON)
    assert redacted[0] == "stolen: OPENAI_API_KEY=[OPENAI_API_KEY redacted] and HF_TOKEN=[HF_TOKEN redacted]"
    assert redacted[1] == texts[1]
    assert redacted[2] == "a key in the wild: <API_KEY>"
    assert "MIIEowIBAAKCAQEA7bq9" not in redacted[3]
    assert redacted[4:] == [None, ""]


def test_rejection_details_are_redacted_and_the_records_kept_as_they_were(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", ENVIRON["OPENAI_API_KEY"])
    rejected = as_rejections(pd.DataFrame({
        "record_id": ["a", "b"], "instruction": ["q", "q2"], "response": ["r", "r2"],
        "reason": ["tests_failed", "tests_failed"],
        "detail": [f"stolen: {ENVIRON['OPENAI_API_KEY']}", None],
    }), "verify")
    assert rejected["detail"].tolist()[0] == "stolen: [OPENAI_API_KEY redacted]"
    assert pd.isna(rejected["detail"].tolist()[1])
    assert rejected["instruction"].tolist() == ["q", "q2"] and set(rejected["stage"]) == {"verify"}
