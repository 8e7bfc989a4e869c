"""The SQL the assets run lives in ``sql/`` as files; this reads them and fills in table names.

``sql/`` sits at the top of the repository and ships inside the package as ``curation_assets.sql``
(pyproject maps it), so an installed wheel reads its own copy.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def sql_dir() -> Traversable:
    try:
        return files("curation_assets.sql")
    except ModuleNotFoundError:
        # A source tree imported without being installed (PYTHONPATH=<checkout>) has no such
        # module: the statements are in its top-level folder.
        return Path(__file__).resolve().parents[2] / "sql"


@lru_cache(maxsize=None)
def _read(name: str) -> str:
    statement = sql_dir() / f"{name}.sql"
    if not statement.is_file():
        raise FileNotFoundError(f"SQL file {name}.sql is missing from {sql_dir()}")
    return statement.read_text(encoding="utf-8")


def checked_identifier(name: str, key: str = "table") -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{key}={name!r} is not a safe SQL identifier")
    return name


def sql(name: str, **identifiers: str) -> str:
    """The statement in ``sql/<name>.sql`` with ``{placeholders}`` replaced by checked identifiers."""
    for key, value in identifiers.items():
        checked_identifier(value, key)
    return _read(name).format(**identifiers)
