"""Export files written on the worker pool from a split's shards: the same bytes whatever the number
of shards and workers, and the same as writing the whole table at once."""

from __future__ import annotations

from curation_assets.core.export.files import plan_files
from curation_assets.core.export.formats import training_lines, write_jsonl
from curation_assets.core.export.settings import ExportConfig
from curation_assets.engine.export_files import shard_rows, write_export_files
from curation_assets.storage.shards import RECORD_SCHEMA, ShardSize, ShardStore


def _export(frame, folder, shard_records: int, workers: int, settings: ExportConfig) -> dict[str, bytes]:
    store = ShardStore(str(folder / "shards"), ShardSize(records=shard_records))
    version = store.write("train", "all", frame, RECORD_SCHEMA)
    planned = plan_files("train", shard_rows(store, list(version.files)), settings.records_per_file)
    out = folder / "exports"
    out.mkdir()
    written = write_export_files(planned, out, settings, store.root_uri, workers)
    assert all(not file.problems for file in written)
    return {file.name: (out / file.name).read_bytes() for file in written}


def test_many_shards_on_two_workers_write_the_bytes_of_one_shard_in_one_process(make_records, tmp_path):
    frame = make_records(*(dict(index=(i * 37) % 101, instruction=f"Q{i} ü", response=f"A{i}") for i in range(101)))
    settings = ExportConfig(records_per_file=30, system_prompt="sys")
    one = _export(frame, tmp_path / "one", shard_records=1000, workers=1, settings=settings)
    many = _export(frame, tmp_path / "many", shard_records=7, workers=2, settings=settings)
    assert list(one) == [f"train-0000{i}-of-00004.jsonl" for i in range(4)]
    assert many == one
    whole = tmp_path / "whole.jsonl"
    write_jsonl(training_lines(frame, settings.format, settings.system_prompt), whole)
    assert b"".join(one.values()) == whole.read_bytes()
