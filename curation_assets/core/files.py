"""Fingerprints of files: what a run read (benchmarks) or wrote (exports, ladder rungs)."""

from __future__ import annotations

import hashlib
from pathlib import Path

_CHUNK_BYTES = 1 << 20


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of the file's bytes, read in chunks so a large export never sits in memory whole."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
