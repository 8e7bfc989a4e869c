"""load_source: every format into canonical records, positions, explode, and every way a file can be bad."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from support import REPO_ROOT, assert_balanced, assert_canonical, write_jsonl
from curation_assets.config import load_config
from curation_assets.core.load.settings import SourceConfig
from curation_assets.core.records import REJECTION_COLUMNS
from curation_assets.core.load.readers import SourceError, load_source, load_source_chunks
from curation_assets.core.records import as_records, as_rejections



def source_config(path: Path, format_: str, fields: dict | None = None, **extra) -> SourceConfig:
    return SourceConfig(
        name=extra.pop("name", "demo_src"),
        path=str(path),
        format=format_,
        fields=fields or {"instruction": "question", "response": "answer"},
        kind=extra.pop("kind", "real"),
        license=extra.pop("license", "CC0-1.0"),
        **extra,
    )


# --- formats and positions -------------------------------------------------------------------------


def test_jsonl_loads_canonical_columns_with_one_based_line_numbers_skipping_blank_lines(tmp_path):
    path = tmp_path / "support.jsonl"
    path.write_text(
        json.dumps({"question": "How do I reset my password?", "answer": "Use the reset link."}) + "\n"
        + "\n"
        + json.dumps({"question": "Where is my invoice?", "answer": "Under Billing."}) + "\n"
        + "   \n"
        + json.dumps({"question": "Can I export data?", "answer": "Yes, as CSV."}) + "\n",
        encoding="utf-8",
    )
    loaded = load_source(source_config(path, "jsonl", license="proprietary"), path)

    assert_canonical(loaded)
    assert_balanced(loaded)
    assert loaded.records_in == 3
    assert loaded.blank_lines == 2
    assert loaded.records["source_position"].tolist() == [1, 3, 5]
    assert loaded.records["instruction"].tolist() == [
        "How do I reset my password?", "Where is my invoice?", "Can I export data?"
    ]
    assert loaded.records["response"].tolist() == ["Use the reset link.", "Under Billing.", "Yes, as CSV."]
    # input is not mapped: it is the empty string, never null
    assert loaded.records["input"].tolist() == ["", "", ""]
    assert set(loaded.records["source"]) == {"demo_src"}
    assert set(loaded.records["kind"]) == {"real"}
    assert loaded.records["record_id"].str.fullmatch(r"[0-9a-f]{20}").all()
    assert loaded.records["record_id"].is_unique
    lineage = json.loads(loaded.records["lineage"].iloc[1])
    assert lineage == {
        "source": "demo_src", "file": str(path), "format": "jsonl", "position": 3, "item": None,
        "license": "proprietary", "kind": "real",
    }
    assert loaded.rejections.empty


def test_json_array_positions_are_zero_based_indices(tmp_path):
    path = tmp_path / "tools.json"
    rows = [
        {"instruction": "Add 2 and 3", "input": "", "output": "5"},
        {"instruction": "Translate", "input": "bonjour", "output": "hello"},
        {"instruction": "Reverse", "input": "abc", "output": "cba"},
    ]
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    fields = {"instruction": "instruction", "input": "input", "response": "output"}
    loaded = load_source(source_config(path, "json", fields, kind="synthetic"), path)

    assert_canonical(loaded)
    assert_balanced(loaded)
    assert loaded.records["source_position"].tolist() == [0, 1, 2]
    assert loaded.records["input"].tolist() == ["", "bonjour", "abc"]
    assert loaded.records["response"].tolist() == ["5", "hello", "cba"]
    assert set(loaded.records["kind"]) == {"synthetic"}


def test_csv_positions_are_one_based_data_rows_not_file_lines(tmp_path):
    path = tmp_path / "faq.csv"
    # The second row's answer spans two physical lines: positions count data rows, not lines.
    path.write_text(
        "question,context,answer\n"
        "What is the refund window?,orders,30 days.\n"
        'How do I cancel?,account,"Open Settings.\nThen press Cancel."\n'
        "Is there a free tier?,,Yes.\n",
        encoding="utf-8",
    )
    fields = {"instruction": "question", "input": "context", "response": "answer"}
    loaded = load_source(source_config(path, "csv", fields), path)

    assert_canonical(loaded)
    assert_balanced(loaded)
    assert loaded.records["source_position"].tolist() == [1, 2, 3]
    assert loaded.records["response"].tolist() == ["30 days.", "Open Settings.\nThen press Cancel.", "Yes."]
    # an empty CSV cell is the empty string, not NaN
    assert loaded.records["input"].tolist() == ["orders", "account", ""]


def test_parquet_positions_are_zero_based_rows(tmp_path):
    path = tmp_path / "drills.parquet"
    table = pa.table({"prompt": ["What is 2+2?", "What is 3*3?"], "solution": ["4", "9"], "level": [1, 2]})
    pq.write_table(table, path)
    fields = {"instruction": "prompt", "response": "solution"}
    loaded = load_source(source_config(path, "parquet", fields), path)

    assert_canonical(loaded)
    assert_balanced(loaded)
    assert loaded.records["source_position"].tolist() == [0, 1]
    assert loaded.records["instruction"].tolist() == ["What is 2+2?", "What is 3*3?"]
    assert loaded.records["response"].tolist() == ["4", "9"]


def test_numbers_become_text_in_jsonl_and_parquet(tmp_path):
    jsonl = write_jsonl(tmp_path / "numbers.jsonl", [{"question": 12, "answer": 3.5}, {"question": "x", "answer": 0}])
    loaded = load_source(source_config(jsonl, "jsonl"), jsonl)
    assert_balanced(loaded)
    assert loaded.records["instruction"].tolist() == ["12", "x"]
    assert loaded.records["response"].tolist() == ["3.5", "0"]
    assert loaded.rejections.empty

    parquet = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"question": ["a", "b"], "answer": pa.array([7, -2], type=pa.int64())}), parquet)
    loaded = load_source(source_config(parquet, "parquet"), parquet)
    assert_balanced(loaded)
    assert loaded.records["response"].tolist() == ["7", "-2"]
    assert str(loaded.records["response"].dtype) == "string"


# --- explode ---------------------------------------------------------------------------------------


def test_explode_real_self_instruct_seeds_makes_one_record_per_instance(shared_data):
    path = shared_data / "self_instruct_seed_tasks.jsonl"
    config = source_config(
        path, "jsonl",
        {"instruction": "instruction", "input": "instances.input", "response": "instances.output"},
        explode="instances",
    )
    loaded = load_source(config, path)

    expected = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            task = json.loads(line)
            for item, instance in enumerate(task["instances"]):
                expected.append((line_number, item, task["instruction"], instance["input"], instance["output"]))

    assert_canonical(loaded)
    assert_balanced(loaded)
    assert loaded.rejections.empty
    assert len(loaded.records) == len(expected) == 175
    got = sorted(
        (row.source_position, json.loads(row.lineage)["item"], row.instruction, row.input, row.response)
        for row in loaded.records.itertuples(index=False)
    )
    assert got == sorted(expected)


def test_explode_gives_each_instance_its_own_record_with_the_parent_instruction(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [
        {"instruction": "Classify the sentiment.", "instances": [
            {"input": "I love it", "output": "positive"},
            {"input": "I hate it", "output": "negative"},
            {"input": "It is fine", "output": "neutral"},
        ]},
        {"instruction": "Say hi.", "instances": []},
        {"instruction": "Broken task.", "instances": "not a list"},
    ])
    config = source_config(
        path, "jsonl",
        {"instruction": "instruction", "input": "instances.input", "response": "instances.output"},
        explode="instances",
    )
    loaded = load_source(config, path)

    assert_balanced(loaded)
    assert loaded.records_in == 5  # three instances + two tasks that hold none
    records = loaded.records.sort_values("response").reset_index(drop=True)
    assert records["instruction"].tolist() == ["Classify the sentiment."] * 3
    assert records["input"].tolist() == ["I hate it", "It is fine", "I love it"]
    assert records["response"].tolist() == ["negative", "neutral", "positive"]
    assert records["source_position"].tolist() == [1, 1, 1]
    assert sorted(json.loads(text)["item"] for text in records["lineage"]) == [0, 1, 2]
    assert records["record_id"].is_unique  # same line, different items
    rejections = loaded.rejections.set_index("source_position")
    assert rejections.loc[2, "reason"] == "explode_empty"
    assert rejections.loc[2, "detail"] == "field 'instances' is an empty list"
    assert rejections.loc[3, "reason"] == "explode_not_a_list"
    assert rejections.loc[3, "detail"] == "field 'instances' is missing or not a list"


# --- record-level problems become quarantine rows -----------------------------------------------------


def test_malformed_jsonl_line_is_quarantined_with_line_number_and_other_lines_still_load(tmp_path):
    path = tmp_path / "logs.jsonl"
    path.write_text(
        '{"question": "first", "answer": "one"}\n'
        '{"question": "second", "answer": \n'
        '{"question": "third", "answer": "three"}\n',
        encoding="utf-8",
    )
    loaded = load_source(source_config(path, "jsonl"), path)

    assert_balanced(loaded)
    assert loaded.records["instruction"].tolist() == ["first", "third"]
    assert loaded.records["source_position"].tolist() == [1, 3]
    assert len(loaded.rejections) == 1
    rejection = loaded.rejections.iloc[0]
    assert rejection["reason"] == "malformed_json"
    assert rejection["detail"].startswith("line 2, column ")
    assert "Expecting value" in rejection["detail"]
    assert rejection["source_position"] == 2
    assert rejection["stage"] == "load"
    assert rejection["source"] == "demo_src"
    # the reviewer sees what the line said
    assert json.loads(rejection["lineage"])["raw_excerpt"].startswith('{"question": "second"')


def test_jsonl_line_that_is_not_utf8_is_quarantined_as_invalid_encoding(tmp_path):
    path = tmp_path / "logs.jsonl"
    path.write_bytes(
        b'{"question": "caf\xc3\xa9 hours?", "answer": "9 to 5"}\n'
        b'{"question": "caf\xe9 menu?", "answer": "latin-1 line"}\n'
        b'{"question": "last", "answer": "ok"}\n'
    )
    loaded = load_source(source_config(path, "jsonl"), path)

    assert_balanced(loaded)
    assert loaded.records["instruction"].tolist() == ["caf\u00e9 hours?", "last"]
    assert len(loaded.rejections) == 1
    rejection = loaded.rejections.iloc[0]
    assert rejection["reason"] == "invalid_encoding"
    assert rejection["detail"].startswith("line 2: not utf-8: ")
    assert rejection["source_position"] == 2


def test_record_missing_a_mapped_field_is_quarantined_as_missing_field(tmp_path):
    path = write_jsonl(tmp_path / "logs.jsonl", [
        {"question": "kept", "answer": "yes"},
        {"question": "no answer here"},
        {"answer": "no question here"},
    ])
    loaded = load_source(source_config(path, "jsonl"), path)

    assert_balanced(loaded)
    assert loaded.records["instruction"].tolist() == ["kept"]
    rejections = loaded.rejections.set_index("source_position")
    assert rejections["reason"].tolist() == ["missing_field", "missing_field"]
    assert rejections.loc[2, "detail"] == "mapped field(s) answer not in record"
    assert rejections.loc[3, "detail"] == "mapped field(s) question not in record"
    # what could be read is kept for the reviewer
    assert rejections.loc[2, "instruction"] == "no answer here"


def test_non_object_json_array_element_is_quarantined_as_not_an_object(tmp_path):
    path = tmp_path / "tools.json"
    path.write_text(json.dumps([{"question": "q", "answer": "a"}, ["q", "a"], "just text"]), encoding="utf-8")
    loaded = load_source(source_config(path, "json"), path)

    assert_balanced(loaded)
    assert len(loaded.records) == 1
    rejections = loaded.rejections.set_index("source_position")
    assert rejections["reason"].tolist() == ["not_an_object", "not_an_object"]
    assert rejections.loc[1, "detail"] == "expected a JSON object, found list"
    assert rejections.loc[2, "detail"] == "expected a JSON object, found str"


def test_list_valued_field_is_quarantined_as_non_text_field(tmp_path):
    path = write_jsonl(tmp_path / "logs.jsonl", [
        {"question": "fine", "answer": "fine"},
        {"question": "steps?", "answer": ["step 1", "step 2"]},
        {"question": {"nested": True}, "answer": "x"},
    ])
    loaded = load_source(source_config(path, "jsonl"), path)

    assert_balanced(loaded)
    assert loaded.records["instruction"].tolist() == ["fine"]
    rejections = loaded.rejections.set_index("source_position")
    assert rejections.loc[2, "reason"] == "non_text_field"
    assert rejections.loc[2, "detail"] == "answer is list"
    assert rejections.loc[3, "reason"] == "non_text_field"
    assert rejections.loc[3, "detail"] == "question is dict"


# --- file-level problems raise SourceError ---------------------------------------------------------


def test_csv_that_is_not_utf8_raises_naming_source_file_and_line(tmp_path):
    path = tmp_path / "faq.csv"
    path.write_bytes(b"question,answer\nWhat time?,Noon\nCaf\xe9?,Open\n")
    with pytest.raises(SourceError) as raised:
        load_source(source_config(path, "csv", name="faq_export"), path)
    message = str(raised.value)
    assert "source 'faq_export'" in message
    assert str(path) in message
    assert "line 3 is not valid utf-8" in message


def test_csv_without_a_mapped_column_raises_listing_available_columns(tmp_path):
    path = tmp_path / "faq.csv"
    path.write_text("question,reply\nWhat time?,Noon\n", encoding="utf-8")
    with pytest.raises(SourceError) as raised:
        load_source(source_config(path, "csv"), path)
    message = str(raised.value)
    assert "mapped field 'answer' (for response) is not a column" in message
    assert message.endswith("columns are: question, reply")


def test_jsonl_mapped_field_in_no_record_raises_listing_fields_present(tmp_path):
    path = write_jsonl(tmp_path / "logs.jsonl", [{"question": "a", "reply": "b"}, {"question": "c", "reply": "d"}])
    with pytest.raises(SourceError) as raised:
        load_source(source_config(path, "jsonl"), path)
    message = str(raised.value)
    assert "mapped field(s) answer found in no record" in message
    assert message.endswith("fields present: question, reply")


@pytest.mark.parametrize("format_", ["jsonl", "json", "csv", "parquet"])
def test_zero_byte_file_raises_empty(tmp_path, format_):
    path = tmp_path / f"empty.{format_}"
    path.write_bytes(b"")
    with pytest.raises(SourceError, match=r"file is empty \(0 bytes\)") as raised:
        load_source(source_config(path, format_), path)
    assert str(path) in str(raised.value)


def test_nonexistent_path_raises_does_not_exist(tmp_path):
    path = tmp_path / "missing.jsonl"
    with pytest.raises(SourceError) as raised:
        load_source(source_config(path, "jsonl"), path)
    assert str(raised.value) == f"source 'demo_src' ({path}): file does not exist"


def test_invalid_json_array_raises_with_line_and_column(tmp_path):
    path = tmp_path / "tools.json"
    path.write_text('[\n  {"question": "a", "answer": "b"},\n  {"question": "c",, "answer": "d"}\n]\n', encoding="utf-8")
    with pytest.raises(SourceError) as raised:
        load_source(source_config(path, "json"), path)
    assert "invalid JSON at line 3, column 20" in str(raised.value)


def test_json_that_is_not_an_array_raises(tmp_path):
    path = tmp_path / "tools.json"
    path.write_text('{"question": "a", "answer": "b"}', encoding="utf-8")
    with pytest.raises(SourceError, match="expects a top-level array, found dict"):
        load_source(source_config(path, "json"), path)


# --- the real shared datasets with the example config ---------------------------------------------------


def test_shared_datasets_load_with_the_example_config_mappings(shared_data, monkeypatch):
    monkeypatch.setenv("CURATION_SHARED_DATA", str(shared_data))
    config = load_config(REPO_ROOT / "examples" / "shared-data.yaml")
    loaded = {source.name: load_source(source, config.source_path(source)) for source in config.sources}

    assert {name: len(result.records) for name, result in loaded.items()} == {
        "gsm8k": 7473,
        "self_instruct_seeds": 175,
        "gpteacher_toolformer": 7673,
    }
    for name, result in loaded.items():
        assert_canonical(result)
        assert_balanced(result)
        assert result.rejections.empty, name
        assert result.records["record_id"].is_unique, name
    gsm8k = loaded["gsm8k"].records
    assert gsm8k["source_position"].min() == 1 and gsm8k["source_position"].max() == 7473
    assert gsm8k["response"].str.contains("#### ").all()  # loading does not touch the text
    toolformer = loaded["gpteacher_toolformer"].records
    assert toolformer["source_position"].tolist() == list(range(7673))
    assert set(toolformer["kind"]) == {"synthetic"}


def test_json_booleans_become_the_text_the_file_wrote(tmp_path):
    path = tmp_path / "flags.jsonl"
    path.write_text('{"q": "Is it on?", "a": true}\n{"q": "Is it off?", "a": false}\n', encoding="utf-8")
    source = SourceConfig(name="flags", path=str(path), format="jsonl", kind="real", license="test",
                          fields={"instruction": "q", "response": "a"})
    loaded = load_source(source, path)
    assert sorted(loaded.records["response"]) == ["false", "true"]


# --- a big JSONL file read a chunk at a time ----------------------------------------


def _rows(count: int) -> list:
    rows = [{"question": f"question {index}", "answer": f"answer {index}"} for index in range(count)]
    rows[3] = "not an object"
    return rows


def test_chunks_together_are_the_whole_file(tmp_path):
    path = write_jsonl(tmp_path / "big.jsonl", _rows(25))
    source = source_config(path, "jsonl")
    whole = load_source(source, path)
    chunks = list(load_source_chunks(source, path, chunk_items=7))

    assert [chunk.records_in for chunk in chunks] == [7, 7, 7, 4]
    pd.testing.assert_frame_equal(as_records(pd.concat([c.records for c in chunks], ignore_index=True)), whole.records)
    pd.testing.assert_frame_equal(
        as_rejections(pd.concat([c.rejections for c in chunks], ignore_index=True), "load"), whole.rejections)


def test_a_mapped_field_only_in_a_later_chunk_is_not_a_mapping_mistake(tmp_path):
    rows = [{"question": f"question {index}", "answer": "answer"} for index in range(10)]
    for row in rows[:6]:
        del row["answer"]
    path = write_jsonl(tmp_path / "late.jsonl", rows)
    chunks = list(load_source_chunks(source_config(path, "jsonl"), path, chunk_items=3))
    assert sum(len(chunk.records) for chunk in chunks) == 4
    assert sum(len(chunk.rejections) for chunk in chunks) == 6


def test_a_mapped_field_in_no_chunk_fails_the_source_after_the_last_chunk(tmp_path):
    path = write_jsonl(tmp_path / "unmapped.jsonl", [{"question": f"question {index}"} for index in range(10)])
    with pytest.raises(SourceError, match="found in no record"):
        list(load_source_chunks(source_config(path, "jsonl"), path, chunk_items=3))


def test_a_jsonl_file_read_in_line_ranges_on_two_workers_gives_the_records_of_reading_it_whole(tmp_path):
    from curation_assets.core.load.readers import FieldsSeen, check_fields_seen, jsonl_line_ranges
    from curation_assets.engine.load_files import ChunkOutput, RangeTask, load_range
    from curation_assets.engine.pool import map_tasks
    from curation_assets.checks.gx_factory import GxSuite

    lines = []
    for index in range(47):
        if index % 9 == 4:
            lines.append("   ")  # blank lines are skipped, and still count for line numbers
        elif index % 11 == 6:
            lines.append('{"question": "broken",')  # malformed: quarantined with its line number
        elif index % 13 == 2:
            lines.append(json.dumps({"question": f"q{index}"}))  # a mapped field missing
        else:
            lines.append(json.dumps({"question": f"q{index} ü", "answer": f"a{index}"}))
    path = tmp_path / "ranges.jsonl"
    path.write_bytes(("\r\n".join(lines[:20]) + "\n" + "\n".join(lines[20:])).encode())  # no final line end
    source = source_config(path, "jsonl")
    whole = load_source(source, path)

    ranges = jsonl_line_ranges(path, 6)
    assert len(ranges) == 8 and [r.first_line for r in ranges[:3]] == [1, 7, 13]
    (tmp_path / "shards").mkdir()
    tasks = [RangeTask(source, str(path), line_range, ChunkOutput(str(tmp_path / "shards" / f"k{i}.parquet"),
                                                                   str(tmp_path / "shards" / f"r{i}.parquet"),
                                                                   GxSuite.of("raw", []), str(tmp_path / "shards")))
             for i, line_range in enumerate(ranges)]
    outcomes = list(map_tasks(load_range, tasks, 2))
    records = pd.concat([pd.read_parquet(task.output.kept_path) for task in tasks]).sort_values("record_id")
    rejections = pd.concat([pd.read_parquet(task.output.rejected_path) for task in tasks]).sort_values("record_id")
    expected = whole.records.sort_values("record_id")
    assert records.astype(str).values.tolist() == expected.astype(str).values.tolist()
    assert rejections.loc[:, list(REJECTION_COLUMNS)].astype(str).values.tolist() == \
        whole.rejections.sort_values("record_id").loc[:, list(REJECTION_COLUMNS)].astype(str).values.tolist()
    assert sum(o.records_in for o in outcomes) == whole.records_in and sum(o.blank_lines for o in outcomes) == 5
    check_fields_seen(source, path, FieldsSeen.merged([o.fields_seen for o in outcomes]), whole.records_in)

    # The file-level check sees the whole file: a field mapped wrong fails it, whichever range is read.
    wrong = source_config(path, "jsonl", fields={"instruction": "question", "response": "reply"})
    seen = [load_range(RangeTask(wrong, str(path), line_range, task.output)).fields_seen
            for line_range, task in zip(ranges, tasks)]
    with pytest.raises(SourceError, match="reply found in no record"):
        check_fields_seen(wrong, path, FieldsSeen.merged(seen), whole.records_in)


# --- one bad record stays one rejection ------------------------------------------------------------


def test_a_deeply_nested_line_and_a_lone_surrogate_are_rejections_naming_their_lines(tmp_path):
    path = tmp_path / "logs.jsonl"
    path.write_text(
        '{"question": "first", "answer": "one"}\n'
        + '{"question": ' + "[" * 100_000 + "]" * 100_000 + ', "answer": "deep"}\n'
        + '{"question": "bad \\ud800 escape", "answer": "two"}\n'
        + '{"question": "third", "answer": "three"}\n',
        encoding="utf-8",
    )
    loaded = load_source(source_config(path, "jsonl"), path)
    assert_balanced(loaded)
    assert loaded.records["instruction"].tolist() == ["first", "third"]
    reasons = dict(zip(loaded.rejections["source_position"], loaded.rejections["reason"]))
    assert reasons == {2: "too_deeply_nested", 3: "invalid_unicode"}
    details = loaded.rejections.set_index("reason")["detail"]
    assert details["too_deeply_nested"].startswith("line 2:")
    assert "instruction holds a lone surrogate" in details["invalid_unicode"]
    # the rejection row itself is writable as UTF-8 (what the warehouse stores)
    loaded.rejections.to_json(tmp_path / "rows.json", force_ascii=False)


def test_a_utf8_bom_is_not_part_of_the_first_record_or_header(tmp_path):
    jsonl = tmp_path / "bom.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + json.dumps({"question": "q1", "answer": "a1"}).encode() + b"\n")
    array = tmp_path / "bom.json"
    array.write_bytes(b"\xef\xbb\xbf" + json.dumps([{"question": "q1", "answer": "a1"}]).encode())
    table = tmp_path / "bom.csv"
    table.write_bytes(b"\xef\xbb\xbfquestion,answer\nq1,a1\n")
    for path, format_ in ((jsonl, "jsonl"), (array, "json"), (table, "csv")):
        loaded = load_source(source_config(path, format_), path)
        assert loaded.records["instruction"].tolist() == ["q1"], format_
        assert loaded.rejections.empty, format_


def test_nan_and_infinity_are_rejected_not_loaded_as_the_text_nan(tmp_path):
    path = tmp_path / "numbers.jsonl"
    path.write_text('{"question": "q1", "answer": NaN}\n{"question": "q2", "answer": Infinity}\n'
                    '{"question": "q3", "answer": 4.5}\n', encoding="utf-8")
    loaded = load_source(source_config(path, "jsonl"), path)
    assert_balanced(loaded)
    assert loaded.records["response"].tolist() == ["4.5"]
    assert loaded.rejections["reason"].tolist() == ["non_text_field", "non_text_field"]
    assert loaded.rejections["detail"].tolist() == ["answer is nan", "answer is inf"]


def test_a_ragged_csv_row_is_one_rejection_and_the_rest_of_the_file_loads(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text('question,answer\nq1,a1\nq2,a2,extra\n\nq3\n"q4, quoted","a4\nsecond line"\n', encoding="utf-8")
    loaded = load_source(source_config(path, "csv"), path)
    assert_balanced(loaded)
    assert loaded.records["instruction"].tolist() == ["q1", "q4, quoted"]
    assert loaded.records["response"].tolist() == ["a1", "a4\nsecond line"]
    assert loaded.records["source_position"].tolist() == [1, 4]  # data rows, the blank line skipped
    assert loaded.rejections["reason"].tolist() == ["ragged_csv_row", "ragged_csv_row"]
    assert loaded.rejections["detail"].tolist() == ["line 3: 3 fields, the header has 2",
                                                    "line 5: 1 fields, the header has 2"]


def test_an_over_long_field_is_a_rejection_of_its_record_and_the_rest_loads(tmp_path):
    path = write_jsonl(tmp_path / "logs.jsonl", [
        {"question": "first", "answer": "one"},
        {"question": "Tell me everything.", "answer": "x" * 12_000},
        {"question": "third", "answer": "three"},
    ])
    loaded = load_source(source_config(path, "jsonl", max_field_chars=10_000), path)
    assert_balanced(loaded)
    assert loaded.records["instruction"].tolist() == ["first", "third"]
    (row,) = loaded.rejections.itertuples(index=False)
    assert (row.reason, row.source_position) == ("too_long", 2)
    assert row.detail == "response (12,000 characters) longer than 10,000"
    assert len(row.response) == 10_000  # kept as far as the bound: the file has the whole


def test_a_misspelled_mapped_field_is_named_with_the_field_meant(tmp_path):
    path = write_jsonl(tmp_path / "logs.jsonl", [{"question": "a", "answr": "b"}])
    with pytest.raises(SourceError) as raised:
        load_source(source_config(path, "jsonl"), path)
    assert str(raised.value).endswith("fields present: answr, question (did you mean 'answr' for 'answer'?)")


def test_chat_logs_map_their_turns_with_list_indices(tmp_path):
    """OpenAI ``messages`` and ShareGPT ``conversations`` logs, read as single-turn records: the first
    user turn and the last assistant turn (a negative index counts from the end)."""
    openai_rows = [
        {"messages": [{"role": "user", "content": "How do I reset my password?"},
                      {"role": "assistant", "content": "Use the link."},
                      {"role": "user", "content": "It expired."},
                      {"role": "assistant", "content": "Ask for a new one on the login page."}]},
        {"messages": [{"role": "user", "content": "Hi"}]},  # no reply yet: index -1 is the user's turn
    ]
    loaded = load_source(source_config(write_jsonl(tmp_path / "chat.jsonl", openai_rows), "jsonl",
                                       {"instruction": "messages.0.content", "response": "messages.-1.content"}),
                         tmp_path / "chat.jsonl")
    assert_balanced(loaded)
    assert loaded.records[["instruction", "response"]].values.tolist() == [
        ["How do I reset my password?", "Ask for a new one on the login page."], ["Hi", "Hi"]]
    sharegpt = [{"conversations": [{"from": "human", "value": "Name a prime."}, {"from": "gpt", "value": "7"}]},
                {"conversations": [{"from": "human", "value": "And another?"}]}]
    path = write_jsonl(tmp_path / "sharegpt.jsonl", sharegpt)
    loaded = load_source(source_config(path, "jsonl", {"instruction": "conversations.0.value",
                                                       "response": "conversations.1.value"}), path)
    assert_balanced(loaded)
    assert loaded.records[["instruction", "response"]].values.tolist() == [["Name a prime.", "7"]]
    # The second conversation has no turn 1: its record is quarantined, naming the line, not dropped silently.
    assert loaded.rejections["source_position"].tolist() == [2]


def test_a_hugging_face_dataset_saved_to_disk_is_a_source(tmp_path):
    """Folders written by the real ``datasets`` library (a DatasetDict and a Dataset) and one of their
    .arrow files, read without it."""
    import datasets

    rows = {"question": ["What is 2+2?", "Name a colour.", "Capital of France?"], "answer": ["4", "Blue.", "Paris."]}
    dataset_dict = datasets.DatasetDict({"train": datasets.Dataset.from_dict(rows),
                                         "test": datasets.Dataset.from_dict({k: v[:1] for k, v in rows.items()})})
    dataset_dict.save_to_disk(str(tmp_path / "qa"))
    loaded = load_source(source_config(tmp_path / "qa", "hf_disk", split="train"), tmp_path / "qa")
    assert_balanced(loaded)
    assert_canonical(loaded)
    assert loaded.records[["instruction", "response", "source_position"]].values.tolist() == [
        ["What is 2+2?", "4", 0], ["Name a colour.", "Blue.", 1], ["Capital of France?", "Paris.", 2]]

    with pytest.raises(SourceError, match="no split 'tran' .*did you mean 'train'"):
        load_source(source_config(tmp_path / "qa", "hf_disk", split="tran"), tmp_path / "qa")
    with pytest.raises(SourceError, match="splits train, test: set the source's 'split'"):
        load_source(source_config(tmp_path / "qa", "hf_disk"), tmp_path / "qa")

    dataset_dict["test"].save_to_disk(str(tmp_path / "one"))
    assert load_source(source_config(tmp_path / "one", "hf_disk"), tmp_path / "one").records["response"].tolist() == ["4"]
    (arrow_file,) = sorted((tmp_path / "qa" / "train").glob("*.arrow"))
    assert len(load_source(source_config(arrow_file, "hf_disk"), arrow_file).records) == 3

    (tmp_path / "plain").mkdir()
    with pytest.raises(SourceError, match="not a Hugging Face dataset folder"):
        load_source(source_config(tmp_path / "plain", "hf_disk"), tmp_path / "plain")
