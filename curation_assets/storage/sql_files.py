"""The SQL the assets run lives in ``sql/`` as files; this reads them and fills in table names."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

SQL_DIR_ENV = "CURATION_SQL_DIR"
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def sql_dir() -> Path:
    configured = os.environ.get(SQL_DIR_ENV)
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "sql"


@lru_cache(maxsize=None)
def _read(name: str) -> str:
    path = sql_dir() / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"SQL file {path} is missing (set {SQL_DIR_ENV} to the project's sql/ folder)")
    return path.read_text(encoding="utf-8")


def checked_identifier(name: str, key: str = "table") -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{key}={name!r} is not a safe SQL identifier")
    return name


def sql(name: str, **identifiers: str) -> str:
    """The statement in ``sql/<name>.sql`` with ``{placeholders}`` replaced by checked identifiers."""
    for key, value in identifiers.items():
        checked_identifier(value, key)
    return _read(name).format(**identifiers)
