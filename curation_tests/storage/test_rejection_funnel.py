"""The data card's drop funnel lists stages in the order records pass them, whatever their counts."""

from __future__ import annotations

import duckdb

from curation_assets.storage.sql_files import sql

PIPELINE_ORDER = ["load", "synthetic", "verify", "combine", "mix", "clean", "decontaminate", "dedup", "split"]


def test_the_funnel_follows_the_pipeline_order():
    connection = duckdb.connect()
    connection.execute("CREATE TABLE rejections (record_id VARCHAR, stage VARCHAR, reason VARCHAR, source VARCHAR, "
                       "source_position BIGINT, detail VARCHAR, instruction VARCHAR, response VARCHAR)")
    rows = []
    # Later stages reject more here, and are inserted first: neither may decide the order.
    for place, stage in enumerate(reversed(PIPELINE_ORDER)):
        for copy in range(len(PIPELINE_ORDER) - place):
            rows.append((f"{stage}-{copy}", stage, f"{stage}_reason", "demo", copy, "why", "q", "a"))
    connection.executemany("INSERT INTO rejections VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    funnel = connection.execute(sql("rejection_funnel"), {"examples": 2}).fetchall()
    assert [row[0] for row in funnel] == PIPELINE_ORDER
    # Within a stage, the larger reason first.
    connection.execute("INSERT INTO rejections VALUES ('x', 'clean', 'a_rare_reason', 'demo', 0, '', '', '')")
    stages_and_reasons = [(row[0], row[1]) for row in connection.execute(sql("rejection_funnel"), {"examples": 1}).fetchall()]
    assert stages_and_reasons.index(("clean", "clean_reason")) + 1 == stages_and_reasons.index(("clean", "a_rare_reason"))
