"""The split's leakage check, over the split's shard files: normalized instructions in both train and eval.

DuckDB streams the files, so the check holds the distinct normalized instructions, never the tables.
The normalization is ``normalize_text``'s: in SQL for ASCII text (where NFKC changes nothing and
casefolding is lowercasing, so the result is the same, which the tests hold it to), through Python
for the rest, since a per-record Python call over a million instructions costs more than the split.
"""

from __future__ import annotations

from typing import Callable

import duckdb
import pyarrow as pa

from curation_assets.core.records import normalize_text

# Python's whitespace among ASCII characters (str.isspace), which RE2's \s does not fully cover.
_ASCII_WHITESPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]+"
NORMALIZED = (f"CASE WHEN strlen(instruction) = length(instruction) "
              f"THEN trim(regexp_replace(lower(instruction), '{_ASCII_WHITESPACE}', ' ', 'g')) "
              f"ELSE normalize_text(instruction) END")


def _normalize_arrow(texts: pa.Array) -> pa.Array:
    return pa.array([normalize_text(text) for text in texts.to_pylist()], pa.string())


def connect_with_normalize_text(connect: Callable[[], duckdb.DuckDBPyConnection] = duckdb.connect
                                ) -> duckdb.DuckDBPyConnection:
    connection = connect()
    connection.execute("SET enable_progress_bar = false")
    connection.create_function("normalize_text", _normalize_arrow, ["VARCHAR"], "VARCHAR", type="arrow")
    return connection


def instructions_in_both_files(train_files: list[str], eval_files: list[str],
                               connect: Callable[[], duckdb.DuckDBPyConnection] = duckdb.connect,
                               examples: int = 5) -> tuple[int, list[str]]:
    """How many normalized instructions are in both splits, and the first ``examples`` of them
    (``connect`` opens a DuckDB connection that can read the files, e.g. on an object store)."""
    if not train_files or not eval_files:
        return 0, []
    with connect_with_normalize_text(connect) as connection:
        connection.execute(
            f"CREATE TEMP TABLE shared AS "
            f"SELECT {NORMALIZED} AS instruction FROM read_parquet($train) "
            f"INTERSECT SELECT {NORMALIZED} AS instruction FROM read_parquet($eval)",
            {"train": train_files, "eval": eval_files})
        count = connection.execute("SELECT count(*) FROM shared").fetchall()[0][0]
        shown = connection.execute("SELECT instruction FROM shared ORDER BY 1 LIMIT $n", {"n": examples}).fetchall()
    return int(count), [row[0] for row in shown]
