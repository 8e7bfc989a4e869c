"""A full materialization of the built-in demo: every stage published, checked and reconciled."""

import json
import shutil
from pathlib import Path

import pytest

from support import DEMO_CONFIG, demo_config_dict, materialize_config, query
from curation_assets.config import load_config
from curation_assets.core.files import file_sha256
from curation_assets.core.records import RECORD_COLUMNS

pytestmark = [pytest.mark.slow]

RECORD_TABLES = ["synthetic_batches", "verified_synthetic", "combined", "mixed", "cleaned", "decontaminated",
                 "deduplicated", "train", "eval"]
# (table read by the stage, table it publishes, its stage name in `rejections`)
STAGES = [("synthetic_batches", "verified_synthetic", "verify"), ("combined", "mixed", "mix"),
          ("mixed", "cleaned", "clean"), ("cleaned", "decontaminated", "decontaminate"),
          ("decontaminated", "deduplicated", "dedup")]
# The demo is smaller than one export file: each split is one file, named as a larger export's would be.
TRAIN_FILE, EVAL_FILE = "train-00000-of-00001.jsonl", "eval-00000-of-00001.jsonl"


def test_every_asset_materializes_and_every_check_passes(demo_run):
    result, _ = demo_run
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) >= 17
    failed = [(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed]
    assert failed == []


def test_every_record_table_has_the_canonical_schema(demo_run):
    _, folder = demo_run
    warehouse = folder / "warehouse.duckdb"
    tables = [f"raw_{s.name}" for s in load_config(DEMO_CONFIG).sources] + RECORD_TABLES
    for table in tables:
        columns = [row[0] for row in query(warehouse, f"SELECT column_name FROM (DESCRIBE main.{table})")]
        assert columns == list(RECORD_COLUMNS), table


def test_rows_in_equal_rows_out_plus_rejected_for_every_stage(demo_run):
    _, folder = demo_run
    warehouse = folder / "warehouse.duckdb"

    def count(table):
        return query(warehouse, f"SELECT count(*) FROM main.{table}")[0][0]

    config = load_config(DEMO_CONFIG)
    raw_total = sum(count(f"raw_{s.name}") for s in config.sources)
    assert count("combined") == raw_total + count("verified_synthetic")
    # Every planned synthetic item is a record of its batch or a `generate` rejection.
    generated = query(warehouse, "SELECT count(*) FROM rejections WHERE stage = 'synthetic'")[0][0]
    assert count("synthetic_batches") + generated == sum(batch.count for batch in config.catalog().active_batches())
    for upstream, downstream, stage in STAGES:
        rejected = query(warehouse, "SELECT count(*) FROM rejections WHERE stage = ?", [stage])[0][0]
        assert count(upstream) == count(downstream) + rejected, stage
    assert count("deduplicated") == count("train") + count("eval")
    # And by id: nothing kept is also rejected, nothing is rejected twice.
    overlap = query(warehouse, "SELECT count(*) FROM main.deduplicated c JOIN rejections r USING (record_id)")
    assert overlap[0][0] == 0
    repeated = query(warehouse, "SELECT count(*) - count(DISTINCT record_id) FROM rejections")
    assert repeated[0][0] == 0


def test_demo_mess_lands_in_rejections_with_reasons(demo_run):
    _, folder = demo_run
    reasons = dict(query(folder / "warehouse.duckdb",
                         "SELECT stage || ':' || reason, count(*) FROM rejections GROUP BY ALL"))
    assert reasons["load:malformed_json"] == 1
    assert reasons["clean:empty_response"] == 2  # a support log's empty reply, and its synthetic copy's
    assert reasons["dedup:exact_duplicate"] > 10
    line = query(folder / "warehouse.duckdb",
                 "SELECT source, source_position, detail FROM rejections WHERE reason = 'malformed_json'")[0]
    assert line[0] == "support_logs" and line[1] == 41 and "line 41" in line[2]


def test_a_record_and_its_copy_with_an_empty_reply_are_both_dropped_by_cleaning(demo_run):
    _, folder = demo_run
    rows = query(folder / "warehouse.duckdb",
                 "SELECT source, stage, reason FROM rejections WHERE instruction = 'Is anyone there?' ORDER BY stage")
    # Cleaning runs first: both copies lose their empty reply there, so neither can represent the
    # other in dedup (which keeps real before synthetic among records that passed).
    assert sorted(rows) == [("support_logs", "clean", "empty_response"), ("tool_snippets", "clean", "empty_response")]


def test_every_exported_record_traces_back_to_its_source_line(demo_run):
    _, folder = demo_run
    config = load_config(DEMO_CONFIG)
    rows = query(folder / "warehouse.duckdb",
                 "SELECT source, source_position, lineage FROM main.train WHERE source = 'support_logs' LIMIT 20")
    lines = config.source_path(config.sources[0]).read_text(encoding="utf-8").splitlines()
    for source, position, lineage in rows:
        lineage = json.loads(lineage)
        assert lineage["source"] == source and lineage["position"] == position
        original = json.loads(lines[position - 1])
        assert original["ticket_id"] >= 1000


def test_no_instruction_is_in_both_splits(demo_run):
    _, folder = demo_run
    shared = query(folder / "warehouse.duckdb",
                   "SELECT count(*) FROM main.train t JOIN main.eval e "
                   "ON lower(trim(t.instruction)) = lower(trim(e.instruction))")
    assert shared[0][0] == 0


def test_exports_are_chat_jsonl_with_a_manifest(demo_run):
    _, folder = demo_run
    exports = folder / "exports"
    train = [json.loads(line) for line in (exports / TRAIN_FILE).read_text(encoding="utf-8").splitlines()]
    assert train and all([m["role"] for m in example["messages"]] == ["user", "assistant"] for example in train)
    manifest = json.loads((exports / "manifest.json").read_text())
    assert [(entry["path"], entry["split"], entry["records"], entry["sha256"]) for entry in manifest["files"]] == \
        [(name, name.split("-")[0], len((exports / name).read_text(encoding="utf-8").splitlines()),
          file_sha256(exports / name)) for name in (TRAIN_FILE, EVAL_FILE)]
    assert manifest["splits"]["train"] == {"data_files": "train-*-of-*.jsonl", "files": 1, "records": len(train)}
    assert manifest["sources"]["support_logs"]["license"] == "proprietary (demo user logs)"
    assert query(folder / "warehouse.duckdb", "SELECT count(*) FROM main.exports")[0][0] == 2


def test_rematerializing_is_idempotent_and_exports_are_byte_identical(demo_run, tmp_path, monkeypatch):
    _, first = demo_run
    again, fresh = tmp_path / "again", tmp_path / "fresh"
    again.mkdir()
    shutil.copy(first / "warehouse.duckdb", again)  # a second run over the first one's warehouse, not the shared one
    for folder in (again, fresh):
        monkeypatch.setenv("CURATION_WAREHOUSE", str(folder / "warehouse.duckdb"))
        monkeypatch.setenv("CURATION_OUTPUT_DIR", str(folder / "exports"))
        assert materialize_config(DEMO_CONFIG).success
        for name in (TRAIN_FILE, EVAL_FILE, "manifest.json"):
            assert (folder / "exports" / name).read_bytes() == (first / "exports" / name).read_bytes(), name
    counts = [query(folder / "warehouse.duckdb", "SELECT stage, reason, count(*) FROM rejections GROUP BY ALL ORDER BY ALL")
              for folder in (first, again, fresh)]
    assert counts[0] == counts[1] == counts[2]
    tables = [query(folder / "warehouse.duckdb", "SELECT record_id, instruction, response FROM main.train ORDER BY ALL")
              for folder in (first, again, fresh)]
    assert tables[0] == tables[1] == tables[2]


def test_offline_the_demo_runs_rule_based_batches_clearly_labelled_and_lists_llm_batches_as_inactive(demo_run):
    result, folder = demo_run
    config = load_config(DEMO_CONFIG)
    assert not config.has_llm_endpoint()
    rows = query(folder / "warehouse.duckdb", "SELECT source, lineage FROM main.synthetic_batches")
    batches = {source for source, _ in rows}
    assert batches == {b.name for b in config.synthetic.batches if b.generator_kind != "llm"}
    for _, text in rows:
        lineage = json.loads(text)
        assert lineage["kind"] == "synthetic" and lineage["label"].startswith(("rule-based", "transformation"))
        assert lineage["generator"].startswith(("rule:", "transform:"))
        assert lineage["generated_at"] and lineage["sampling"]["seed"] == config.catalog().batch(lineage["batch"]).seed
    materializations = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
    inactive = materializations["verified_synthetic"].materialization.metadata["inactive_batches"].value
    assert set(inactive) == {"llm_self_instruct", "llm_answers", "llm_faq_paraphrases", "llm_code"}


def test_rule_based_code_passes_its_tests_in_the_sandbox(demo_run):
    _, folder = demo_run
    rows = query(folder / "warehouse.duckdb",
                 "SELECT lineage FROM main.verified_synthetic WHERE source = 'synth_python_functions'")
    assert len(rows) == 20
    for (text,) in rows:
        verification = json.loads(text)["verification"]
        assert verification["checks"] == ["rules", "code"] and verification["sandbox"]["passed"]


def test_the_mix_stays_within_its_caps_and_reports_achieved_against_target(demo_run):
    _, folder = demo_run
    warehouse = folder / "warehouse.duckdb"
    config = load_config(DEMO_CONFIG)
    real_in = query(warehouse, "SELECT count(*) FROM main.combined WHERE kind = 'real'")[0][0]
    real_out, synthetic_out = query(warehouse, "SELECT count(*) FILTER (kind = 'real'), "
                                               "count(*) FILTER (kind = 'synthetic') FROM main.mixed")[0]
    assert real_out == real_in  # mixing never drops real data
    assert synthetic_out <= config.mix.max_synthetic_fraction * (real_out + synthetic_out)
    report = {row[0]: row[1:] for row in query(warehouse, "SELECT domain, target_share, achieved_share, records "
                                                          "FROM main.mix_report")}
    assert set(report) == set(config.mix.domain_targets)
    assert sum(records for _, _, records in report.values()) == real_out + synthetic_out
    caps = dict(query(warehouse, "SELECT reason, count(*) FROM rejections WHERE stage = 'mix' GROUP BY ALL"))
    assert caps.get("domain_cap", 0) > 0


def test_demo_cleaning_rules_each_drop_their_planted_record(demo_run):
    _, folder = demo_run
    reasons = dict(query(folder / "warehouse.duckdb",
                         "SELECT reason, count(*) FROM rejections WHERE stage = 'clean' GROUP BY ALL"))
    assert reasons == {"empty_response": 2, "pii": 1, "refusal": 1, "placeholder": 1, "language": 1,
                       "blocklist": 1, "repeated_ngrams": 1}
    source, detail = query(folder / "warehouse.duckdb",
                           "SELECT source, detail FROM rejections WHERE reason = 'pii'")[0]
    assert (source, detail) == ("faq_export", "PII found: IBAN×1")  # faq_export is configured with pii: drop


def test_demo_pii_is_redacted_with_typed_placeholders_and_counted(demo_run):
    result, folder = demo_run
    exported = (folder / "exports" / TRAIN_FILE).read_text(encoding="utf-8") + \
        (folder / "exports" / EVAL_FILE).read_text(encoding="utf-8")
    assert "415-555-" not in exported and "<EMAIL>" in exported and "<PHONE>" in exported
    leaked = query(folder / "warehouse.duckdb",
                   "SELECT count(*) FROM (SELECT * FROM main.train UNION ALL SELECT * FROM main.eval) "
                   "WHERE source IN ('support_logs', 'faq_export') "
                   "AND (instruction || input || response) LIKE '%@example.com%'")
    assert leaked[0][0] == 0
    # Extraction batches keep Faker's fake contact details on purpose (`pii: keep`).
    kept = query(folder / "warehouse.duckdb",
                 "SELECT count(*) FROM main.decontaminated WHERE source = 'synth_forms_de' AND input LIKE '%@%'")
    assert kept[0][0] > 0
    cleaned = next(e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "cleaned")
    metadata = cleaned.materialization.metadata
    assert metadata["pii_by_type"].value == {"EMAIL": 8, "IBAN": 1, "PHONE": 8}  # a duplicate's too: cleaned before dedup
    assert metadata["drops_by_rule"].value["refusal"] == 1
    assert metadata["dropped_examples"].value["language"][0]["detail"].startswith("language it")
    assert {"html_stripped", "unicode_repaired", "markdown_stripped", "pii_redacted"} <= set(metadata["rewrites"].value)


def test_demo_benchmark_overlaps_are_dropped_before_the_splits(demo_run):
    result, folder = demo_run
    warehouse = folder / "warehouse.duckdb"
    details = [row[0] for row in query(warehouse, "SELECT detail FROM rejections WHERE stage = 'decontaminate'")]
    assert len(details) >= 8 and all(d.startswith("benchmark demo_benchmark item ") for d in details)
    assert any("exact match after normalization" in d for d in details)
    assert any("13-gram overlap in response" in d for d in details)
    benchmark_questions = [json.loads(line)["question"] for line in
                           (Path(DEMO_CONFIG).parent / "data" / "demo_benchmark.jsonl").read_text().splitlines()]
    leaked = query(warehouse, "SELECT count(*) FROM (SELECT instruction FROM main.train UNION ALL "
                              "SELECT instruction FROM main.eval) WHERE instruction IN (SELECT unnest(?))",
                   [benchmark_questions])
    assert leaked[0][0] == 0
    event = next(e for e in result.get_asset_materialization_events()
                 if e.asset_key.to_user_string() == "decontaminated")
    assert event.materialization.metadata["contaminated_by_benchmark"].value == {"demo_benchmark": len(details)}


def test_the_side_tables_are_materialized_by_the_steps_that_write_them(demo_run):
    result, folder = demo_run
    writers: dict[str, set[str]] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        table = materialization.asset_key.to_user_string()
        if table in ("rejections", "duplicate_clusters", "conflicts", "dedup_history", "mix_report"):
            writers.setdefault(table, set()).add(materialization.metadata["written_by"].value)
            rows = query(folder / "warehouse.duckdb", f"SELECT count(*) FROM main.{table}")[0][0]
            assert materialization.metadata["dagster/row_count"].value <= rows  # at the time it was written
    assert writers["duplicate_clusters"] == writers["conflicts"] == writers["dedup_history"] == {"deduplicated"}
    assert writers["mix_report"] == {"mixed"}
    assert {"raw_support_logs", "mixed", "cleaned", "deduplicated"} <= writers["rejections"], writers["rejections"]


def test_every_side_table_column_is_described_as_the_warehouse_has_it(demo_run, tmp_path):
    import duckdb

    from curation_assets.defs.side_tables import COLUMNS, OPTIONAL
    from curation_assets.storage.sql_files import sql

    _, folder = demo_run
    with duckdb.connect(str(tmp_path / "cache.duckdb")) as connection:  # the demo has no LLM endpoint
        connection.execute(sql("create_llm_cache"))
        actual = {"llm_cache": connection.execute("DESCRIBE main.llm_cache").fetchall()}
    # The optional tables (off in the demo) are compared where their settings are on:
    # test_record_domains.py and test_semantic_dedup_graph.py.
    for table in COLUMNS.keys() - {"llm_cache"} - OPTIONAL:
        actual[table] = query(folder / "warehouse.duckdb", f"DESCRIBE main.{table}")
    for table, columns in COLUMNS.items():
        if table in OPTIONAL:
            continue
        assert [(name, type_) for name, type_, _ in columns] == [(row[0], row[1]) for row in actual[table]], table
        assert all(description for _, _, description in columns)


def test_tabular_metadata_is_dagster_table_values_with_typed_columns(demo_run):
    import dagster as dg

    result, _ = demo_run
    metadata = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        metadata.setdefault(materialization.asset_key.to_user_string(), {}).update(materialization.metadata)
    preview = metadata["cleaned"]["preview"]
    assert isinstance(preview, dg.TableMetadataValue) and 0 < len(preview.records) <= 8
    types = {column.name: column.type for column in preview.schema.columns}
    assert types["source_position"] == "int" and types["instruction"] == "string" and "lineage" not in types
    mix = metadata["mixed"]["achieved_vs_target"]
    assert {record.data["domain"] for record in mix.records} == {"code", "general", "math", "multilingual"}
    funnel = metadata["data_card"]["drop_funnel"]
    assert [column.type for column in funnel.schema.columns] == ["string", "string", "int"]
    assert sum(record.data["records"] for record in funnel.records) > 0


def test_the_export_folder_loads_as_a_hugging_face_dataset_with_ids_and_sources(demo_run, tmp_path, monkeypatch):
    import datasets
    import yaml

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    _, folder = demo_run
    exports = folder / "exports"
    jsonl = {split: [json.loads(line) for line in (exports / name).read_text(encoding="utf-8").splitlines()]
             for split, name in (("train", TRAIN_FILE), ("eval", EVAL_FILE))}
    loaded = datasets.load_dataset(str(exports), cache_dir=str(tmp_path / "cache"))  # README.md's configs
    assert set(loaded) == {"train", "eval"}
    for split, examples in jsonl.items():
        assert loaded[split]["id"] == [example["id"] for example in examples]
        assert loaded[split][0]["messages"] == examples[0]["messages"]
    ids = set(query(folder / "warehouse.duckdb", "SELECT record_id FROM main.train"))
    assert {(example["id"],) for example in jsonl["train"]} == ids
    assert {example["source"] for example in jsonl["train"]} >= {"support_logs", "faq_export"}
    parquet = datasets.load_dataset("parquet", data_files={"train": str(exports / "data" / "train-*.parquet")},
                                    cache_dir=str(tmp_path / "cache"))
    assert parquet["train"]["id"] == loaded["train"]["id"]
    card = (exports / "README.md").read_text(encoding="utf-8")
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["size_categories"] == ["n<1K"] and front["language"] == ["de", "en"] and front["license"] == "other"
    assert "## Sources and licenses" in card and "## Drop funnel" in card and "mix:domain_cap" not in card
    manifest = json.loads((exports / "manifest.json").read_text())
    assert [entry["path"] for entry in manifest["parquet"]["files"]] == [
        f"data/{TRAIN_FILE[:-6]}.parquet", f"data/{EVAL_FILE[:-6]}.parquet"]


def test_split_names_rename_the_exported_splits_and_retire_the_old_files(demo_run, tmp_path, monkeypatch):
    import datasets
    import yaml

    _, first = demo_run
    folder = tmp_path / "renamed"
    folder.mkdir()
    shutil.copy(first / "warehouse.duckdb", folder)  # its views read the demo run's shards
    shutil.copytree(first / "exports", folder / "exports")  # an export under the default names
    config = demo_config_dict()
    config["export"]["split_names"] = {"eval": "validation"}
    path = tmp_path / "renamed.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("CURATION_WAREHOUSE", str(folder / "warehouse.duckdb"))
    monkeypatch.setenv("CURATION_OUTPUT_DIR", str(folder / "exports"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert materialize_config(path, selection=["exports"]).success

    exports = folder / "exports"
    assert not list(exports.glob("eval-*")) and not list((exports / "data").glob("eval-*"))
    assert (exports / "validation-00000-of-00001.jsonl").read_bytes() == (first / "exports" / EVAL_FILE).read_bytes()
    manifest = json.loads((exports / "manifest.json").read_text())
    assert list(manifest["splits"]) == ["train", "validation"]
    loaded = datasets.load_dataset(str(exports), cache_dir=str(tmp_path / "cache"))
    assert set(loaded) == {"train", "validation"}


def test_split_names_are_validated(tmp_path):
    from curation_assets.config import ConfigError, load_config

    for names, message in (({"test": "x"}, "renames the splits train and eval only"),
                           ({"eval": "my split"}, "a letter then letters"), ({"eval": "train"}, "different names")):
        config = demo_config_dict()
        config["export"]["split_names"] = names
        path = tmp_path / "bad.yaml"
        path.write_text(yaml_dump(config), encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_config(path)


def yaml_dump(config: dict) -> str:
    import yaml

    return yaml.safe_dump(config, sort_keys=False)
