"""A whole split streamed in record-id order: shards already in order stream as they are, others
are sorted; either way every record comes once, in order."""

from __future__ import annotations

import pandas as pd

from curation_assets.engine.shard_reports import ids_in_order, sorted_batches
from curation_assets.storage.shards import RECORD_SCHEMA, ShardSize, ShardStore
from curation_tests.record_frames import records

# Shard files are named by their full paths; any local store reads them.
LOCAL = ShardStore("/")


def _files(tmp_path, frames: list[pd.DataFrame]) -> list[str]:
    store = ShardStore(str(tmp_path / "shards"), ShardSize(records=1000))
    return [f for index, frame in enumerate(frames)
            for f in store.write("train", f"p{index}", frame, RECORD_SCHEMA).files]


def _streamed(files: list[str]) -> list[str]:
    return [record_id for batch in sorted_batches(LOCAL, files, batch_rows=7) for record_id in batch["record_id"]]


def test_shards_in_record_id_order_stream_as_they_are(tmp_path):
    frame = records(50)
    files = _files(tmp_path, [frame.iloc[:20], frame.iloc[20:20], frame.iloc[20:]])
    assert ids_in_order(LOCAL, files)
    assert _streamed(files) == frame["record_id"].tolist()


def test_shards_out_of_order_are_sorted(tmp_path):
    frame = records(50)
    files = _files(tmp_path, [frame.iloc[30:], frame.iloc[:30]])
    assert not ids_in_order(LOCAL, files)
    assert _streamed(files) == frame["record_id"].tolist()


def test_ranges_that_overlap_are_sorted(tmp_path):
    frame = records(50)
    files = _files(tmp_path, [frame.iloc[::2], frame.iloc[1::2]])
    assert not ids_in_order(LOCAL, files)
    assert _streamed(files) == frame["record_id"].tolist()
