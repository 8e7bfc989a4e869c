"""Small record and rejection frames for the storage tests, and the publisher their multi-process test spawns."""

from __future__ import annotations

import traceback

import pandas as pd

from curation_assets.core.records import as_records, as_rejections
from curation_assets.storage.warehouse import Warehouse

TABLES_PER_WORKER = 10


def records(count: int, source: str = "alpha", start: int = 0) -> pd.DataFrame:
    return as_records(pd.DataFrame([
        {
            "record_id": f"{source[:1]}{index:019x}",
            "source": source,
            "source_position": index,
            "instruction": f"Instruction {index} \u00e9\u2603",
            "input": "" if index % 2 else f"context {index}",
            "response": f"Response {index}\nsecond line",
            "kind": "real",
            "lineage": f'{{"source": "{source}", "position": {index}}}',
        }
        for index in range(start, start + count)
    ]))


def rejections(frame: pd.DataFrame, stage: str, reason: str) -> pd.DataFrame:
    return as_rejections(frame.assign(reason=reason, detail=f"{reason} detail"), stage)


def rejection_rows(warehouse: Warehouse) -> list[tuple]:
    frame = warehouse.read_frame("SELECT stage, source, reason, record_id FROM rejections ORDER BY ALL")
    return [tuple(row) for row in frame.itertuples(index=False)]


def publish_tables(path: str, worker: int, start, errors) -> None:
    """Runs in a spawned process: wait for the others, then publish TABLES_PER_WORKER tables. It lives here,
    on the tests' import path, because a spawned process re-imports its target by module name."""
    try:
        warehouse = Warehouse(path)
        start.wait(timeout=60)
        for table in range(TABLES_PER_WORKER):
            frame = records(3 + table, source=f"w{worker}")
            warehouse.publish(
                f"worker_{worker}_table_{table}",
                frame,
                rejections(frame.iloc[:1], f"stage_{worker}_{table}", "exact_duplicate"),
                stage=f"stage_{worker}_{table}",
            )
    except BaseException:
        errors.put(f"worker {worker}: {traceback.format_exc()}")
        raise
