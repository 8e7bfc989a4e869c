"""One reader family (core/load/readers.py) for sources, inbox files and benchmarks: one position convention."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from curation_assets.core.decontaminate.decontaminate import BenchmarkError, read_benchmark
from curation_assets.core.decontaminate.settings import BenchmarkConfig
from curation_assets.core.load.readers import FileError, load_source, read_items
from curation_assets.core.load.settings import FileSource

ROWS = [{"q": "first question", "a": "one"}, {"q": "second question", "a": "two"}]


def write(path, format_):
    if format_ == "jsonl":  # a blank line between the two: line numbers, not item counts
        path.write_text(json.dumps(ROWS[0]) + "\n\n" + json.dumps(ROWS[1]) + "\n", encoding="utf-8")
    elif format_ == "json":
        path.write_text(json.dumps(ROWS), encoding="utf-8")
    elif format_ == "csv":
        pd.DataFrame(ROWS).to_csv(path, index=False)
    else:
        pd.DataFrame(ROWS).to_parquet(path)
    return path


# JSONL: line number from 1; JSON: array index from 0; CSV: data row from 1 (header excluded); Parquet: row from 0.
@pytest.mark.parametrize(("format_", "positions"), [
    ("jsonl", [1, 3]), ("json", [0, 1]), ("csv", [1, 2]), ("parquet", [0, 1]),
])
def test_sources_and_benchmarks_count_positions_alike(tmp_path, format_, positions):
    path = write(tmp_path / f"data.{format_}", format_)
    read = read_items(path, format_, "utf-8", "test file")
    assert [item.position for item in read.items] == positions
    assert [item.value for item in read.items] == ROWS

    source = FileSource(name="s", path=path.name, format=format_, kind="real", license="CC0",
                        fields={"instruction": "q", "response": "a"})
    assert load_source(source, path).records["source_position"].tolist() == positions
    benchmark = BenchmarkConfig(name="b", path=path.name, format=format_, fields=["q"])
    assert [text.item for text in read_benchmark(benchmark, path)] == positions


def test_an_unreadable_file_names_the_caller_and_the_problem(tmp_path):
    with pytest.raises(FileError, match="^my file: file does not exist"):
        read_items(tmp_path / "missing.jsonl", "jsonl", "utf-8", "my file")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(BenchmarkError, match="benchmark 'b'.*file is empty"):
        read_benchmark(BenchmarkConfig(name="b", path="empty.csv", format="csv", fields=["q"]), empty)
