"""The export's files: planned from the split's shards into numbered files of a fixed size, written
and read back one by one, listed with their hashes in a manifest that is the same bytes run after run."""

from __future__ import annotations

import fnmatch
import json

import pytest

from curation_assets.config import load_config
from curation_assets.core.export.files import (PlannedFile, RowSlice, ShardRows, WrittenFile, data_files_glob,
                                               plan_files, remove_stale_files, write_file)
from curation_assets.core.export.manifest import build_manifest, read_back, write_manifest
from curation_assets.core.export.settings import ExportConfig
from curation_assets.core.files import file_sha256


def _shards(*sizes: int) -> list[ShardRows]:
    shards, first = [], 0
    for number, size in enumerate(sizes):
        ids = (f"{first:020x}", f"{first + size - 1:020x}") if size else (None, None)
        shards.append(ShardRows(f"part-{number}.parquet", size, *ids))
        first += size
    return shards


def test_files_of_a_fixed_size_cut_across_shards_in_record_order():
    planned = plan_files("train", list(reversed(_shards(4, 0, 3, 5))), records_per_file=5)
    assert [file.name for file in planned] == ["train-00000-of-00003.jsonl", "train-00001-of-00003.jsonl",
                                               "train-00002-of-00003.jsonl"]
    assert [file.records for file in planned] == [5, 5, 2]
    assert planned[0].slices == (RowSlice("part-0.parquet", 0, 4), RowSlice("part-2.parquet", 0, 1))
    assert planned[1].slices == (RowSlice("part-2.parquet", 1, 2), RowSlice("part-3.parquet", 0, 3))
    assert planned[2].slices == (RowSlice("part-3.parquet", 3, 2),)


def test_a_small_or_empty_split_is_one_file_and_overlapping_shards_are_refused():
    assert [(file.name, file.records) for file in plan_files("eval", _shards(3), 100)] == [("eval-00000-of-00001.jsonl", 3)]
    assert [(file.name, file.slices) for file in plan_files("eval", _shards(0), 100)] == [("eval-00000-of-00001.jsonl", ())]
    overlapping = [ShardRows("a", 2, "0001", "0005"), ShardRows("b", 2, "0004", "0009")]
    with pytest.raises(ValueError, match="overlap in record id"):
        plan_files("train", overlapping, 100)


def test_a_written_file_is_read_back_and_a_short_or_broken_one_reported(make_records, tmp_path):
    frame = make_records(*(dict(instruction=f"Q{i}", response=f"A{i}") for i in range(3)))
    planned = PlannedFile("train", "train-00000-of-00001.jsonl", 3, (RowSlice("x", 0, 3),))
    written = write_file(planned, [frame.iloc[:2], frame.iloc[2:]], tmp_path, ExportConfig(format="alpaca"))
    assert (written.records, written.problems) == (3, {})
    assert written.sha256 == file_sha256(tmp_path / planned.name)
    assert [json.loads(line)["output"] for line in (tmp_path / planned.name).read_text().splitlines()] == ["A0", "A1", "A2"]
    short = write_file(planned, [frame.iloc[:2]], tmp_path, ExportConfig())
    assert short.problems == {"lines": 2, "records": 3, "invalid": [], "parquet_rows": {"rows": 2, "records": 3}}
    (tmp_path / "broken.jsonl").write_text('{"a": 1}\n{not json\n\n', encoding="utf-8")
    assert read_back(tmp_path / "broken.jsonl").invalid == ["line 2: Expecting property name enclosed in double quotes",
                                                            "line 3: Expecting value"]


def test_stale_split_files_go_and_the_globs_match_only_this_exports_files(tmp_path):
    for name in ("train-00000-of-00002.jsonl", "train-00001-of-00002.jsonl", "train.jsonl", "eval-00000-of-00001.jsonl",
                 "train-00000-of-00001.jsonl", "training_notes.jsonl", "manifest.json"):
        (tmp_path / name).write_text("{}\n")
    (tmp_path / "ladder").mkdir()
    (tmp_path / "ladder" / "train_100.jsonl").write_text("{}\n")
    removed = remove_stale_files(tmp_path, ["train", "eval"], {"train-00000-of-00001.jsonl", "eval-00000-of-00001.jsonl"})
    assert removed == ["train-00000-of-00002.jsonl", "train-00001-of-00002.jsonl", "train.jsonl"]
    # What `datasets.load_dataset("json", data_files={"train": "<dir>/train-*-of-*.jsonl", ...})` would match.
    every_file = [str(path.relative_to(tmp_path)) for path in sorted(tmp_path.rglob("*")) if path.is_file()]
    assert fnmatch.filter(every_file, data_files_glob("train")) == ["train-00000-of-00001.jsonl"]
    assert fnmatch.filter(every_file, data_files_glob("eval")) == ["eval-00000-of-00001.jsonl"]


def test_the_manifest_lists_every_file_and_each_sources_license_and_is_the_same_bytes_each_time(tmp_path):
    config = load_config()  # the demo: its sources' licenses and kinds
    source = config.sources[0]
    files = [WrittenFile("train", "train-00000-of-00002.jsonl", 5, "a" * 64, {}),
             WrittenFile("train", "train-00001-of-00002.jsonl", 2, "b" * 64, {}),
             WrittenFile("eval", "eval-00000-of-00001.jsonl", 1, "c" * 64, {})]
    manifests = []
    for attempt in range(2):
        manifest = build_manifest(files, {"train": "train-*-of-*.jsonl", "eval": "eval-*-of-*.jsonl"},
                                  {"train": {source.name: 7}, "eval": {source.name: 1}},
                                  {source.name: source.license}, {source.name: source.kind}, "openai_chat", "v1")
        write_manifest(manifest, tmp_path / f"manifest-{attempt}.json")
        manifests.append((tmp_path / f"manifest-{attempt}.json").read_bytes())
    assert manifests[0] == manifests[1]
    assert [(entry["path"], entry["records"], entry["sha256"]) for entry in manifest["files"]] == \
        [(file.name, file.records, file.sha256) for file in files]
    assert manifest["splits"]["train"] == {"data_files": "train-*-of-*.jsonl", "files": 2, "records": 7}
    assert manifest["sources"][source.name] == {"license": source.license, "kind": source.kind,
                                                "records": {"train": 7, "eval": 1}}


def test_a_write_that_fails_midway_leaves_neither_the_file_nor_its_partial(tmp_path):
    from curation_assets.core.export.formats import write_jsonl_atomically

    def lines():
        yield '{"ok": 1}\n'
        raise OSError(28, "No space left on device")

    target = tmp_path / "train-00000-of-00001.jsonl"
    with pytest.raises(OSError, match="No space left"):
        write_jsonl_atomically(lines(), target)
    assert list(tmp_path.iterdir()) == []
