"""dedup_history read from the warehouse by question gives what the whole history gives, reading less."""

from __future__ import annotations

import numpy as np

from curation_assets.core.dedup.settings import DedupConfig
from curation_assets.core.dedup.stage import deduplicate
from curation_assets.storage.dedup_history import WarehouseHistory
from curation_assets.storage.sql_files import sql
from curation_assets.storage.warehouse import Warehouse


def _paragraph(seed: int, words: int = 80) -> str:
    rng = np.random.default_rng(seed)
    return " ".join(f"w{value}" for value in rng.integers(0, 100000, size=words))


def test_the_warehouse_history_decides_as_the_whole_history_and_reads_text_only_of_lsh_neighbours(tmp_path, make_records):
    day_one = make_records(*(dict(index=index, instruction=_paragraph(index), response=f"answer {index}")
                             for index in range(1, 21)),
                           dict(index=30, instruction="Capital of France?", response="Paris."))
    first = deduplicate(day_one, DedupConfig(), lambda source: 0)
    store = Warehouse(tmp_path / "warehouse.duckdb")
    with store.connect() as connection:
        connection.execute(sql("create_dedup_history"))
        connection.register("staged_history", first.history_rows)
        connection.execute(sql("insert_dedup_history"))

    near_copy = _paragraph(1).split()
    near_copy[40] = "changed"
    day_two = make_records(
        dict(index=41, instruction=" ".join(near_copy), response="answer 1"),  # near-duplicate of day one's
        dict(index=42, instruction=_paragraph(2).upper(), response="ANSWER 2"),  # exact duplicate
        dict(index=43, instruction="capital of  france?", response="Marseille."),  # conflict with day one
        dict(index=44, instruction=_paragraph(99), response="new"),
        dict(index=5, instruction=_paragraph(5), response="answer 5"),  # a day-one record again: not its own duplicate
    )
    whole = deduplicate(day_two, DedupConfig(), lambda source: 0, history=first.history_rows)
    by_question = deduplicate(day_two, DedupConfig(), lambda source: 0, history=WarehouseHistory(store))

    assert sorted(whole.result.rejected["reason"]) == ["conflicting_response", "exact_duplicate", "near_duplicate"]
    assert by_question.result.kept.equals(whole.result.kept)
    assert by_question.result.rejected.equals(whole.result.rejected)
    assert by_question.clusters.equals(whole.clusters) and by_question.conflicts.equals(whole.conflicts)
    assert by_question.history_rows.drop(columns="signature").equals(whole.history_rows.drop(columns="signature"))
    stats = by_question.near.stats
    assert stats["history_records_compared"] == 20  # day one's 21 records but the one in this batch
    assert stats["history_records_sharing_a_band"] == 1  # the only earlier text read for near-duplicates
