"""Fingerprints of files: what a run read (benchmarks) or wrote (exports, ladder rungs)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_CHUNK_BYTES = 1 << 20


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of the file's bytes, read in chunks so a large export never sits in memory whole."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def write_text_atomically(text: str, path: Path) -> None:
    """``text`` as UTF-8 with ``\\n`` endings, written beside and renamed into place: readers never see half a file."""
    partial = Path(path).with_name(Path(path).name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8", newline="\n")
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
