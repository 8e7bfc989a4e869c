"""The warehouse's ``dedup_history`` table as a ``HistorySource`` (core/dedup/earlier.py).

Each question is one query that reads only the columns and rows it needs; the batch's keys go in
as registered frames and meet the table in a DuckDB join, so the table is never loaded whole.
Each query holds the warehouse connection only while it runs.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import pandas as pd
import pyarrow as pa

from curation_assets.core.dedup.earlier import SIGNATURE_CHUNK_ROWS
from curation_assets.storage.sql_files import sql
from curation_assets.storage.warehouse import Warehouse


class WarehouseHistory:
    def __init__(self, store: Warehouse) -> None:
        self._store = store
        with store.connect() as connection:
            connection.execute(sql("create_dedup_history"))

    def _query(self, statement: str, parameters: dict, **staged: Sequence[str]) -> pd.DataFrame:
        with self._store.connect() as connection:
            for name, values in staged.items():
                # Arrow strings: a million keys go in as buffers, not as a million Python objects.
                connection.register(name, pa.table({"key": pa.array(values, pa.string())}))
            return connection.execute(sql(statement), parameters).df()

    def is_empty(self) -> bool:
        with self._store.connect() as connection:
            return not connection.execute("SELECT EXISTS (SELECT 1 FROM dedup_history)").fetchall()[0][0]

    def other_schemes(self, scheme: str) -> pd.DataFrame:
        return self._query("read_dedup_history_other_schemes", {"scheme": scheme})

    def content_matches(self, scheme: str, keys: Sequence[str]) -> pd.DataFrame:
        return self._query("match_dedup_history_content", {"scheme": scheme}, staged_content_keys=keys)

    def conflict_candidates(self, scheme: str, prompt_keys: Sequence[str], response_keys: Sequence[str]) -> pd.DataFrame:
        return self._query("match_dedup_history_conflicts", {"scheme": scheme},
                           staged_prompt_keys=prompt_keys, staged_response_keys=response_keys)

    def signature_chunks(self, scheme: str) -> Iterator[pd.DataFrame]:
        with self._store.connect() as connection:
            reader = connection.sql(sql("read_dedup_history_signatures"), params={"scheme": scheme}) \
                .to_arrow_reader(SIGNATURE_CHUNK_ROWS)
            for batch in reader:
                yield batch.to_pandas()

    def rows(self, record_ids: Sequence[str]) -> pd.DataFrame:
        return self._query("read_dedup_history_rows", {}, staged_record_ids=record_ids)
