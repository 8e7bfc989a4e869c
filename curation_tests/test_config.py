"""load_config: the demo and example configs, path resolution, ${VAR} expansion, validation, env overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from support import REPO_ROOT
from curation_assets.config import ConfigError, DEMO_CONFIG_PATH, load_config

EXAMPLE_CONFIG = REPO_ROOT / "examples" / "shared-data.yaml"

ONE_SOURCE = """\
sources:
  - name: {name}
    path: {path}
    format: {format}
    fields: {{instruction: q, response: a}}
    kind: real
    license: MIT
"""


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("CURATION_CONFIG", "CURATION_WAREHOUSE", "CURATION_OUTPUT_DIR", "CURATION_SHARED_DATA",
                 "CURATION_TEST_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def write_config(folder: Path, text: str, name: str = "pipeline.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def one_source(name: str = "logs", path: str = "data/logs.jsonl", format_: str = "jsonl") -> str:
    return ONE_SOURCE.format(name=name, path=path, format=format_)


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    return str(raised.value)


def test_demo_config_loads_with_its_four_sources_present_on_disk():
    config = load_config()  # no path, no $CURATION_CONFIG: the built-in demo
    assert [(source.name, source.format) for source in config.sources] == [
        ("support_logs", "jsonl"), ("faq_export", "csv"), ("math_drills", "parquet"), ("tool_snippets", "json"),
    ]
    assert Path(config.base_dir) == DEMO_CONFIG_PATH.parent
    for source in config.sources:
        assert config.source_path(source).is_file(), source.name
    assert config.split.eval_fraction == 0.1
    assert config.catalog().source_rank("math_drills") == 2


def test_example_shared_data_config_loads_with_paths_to_the_shared_folder():
    config = load_config(EXAMPLE_CONFIG)
    assert [source.name for source in config.sources] == ["gsm8k", "self_instruct_seeds", "gpteacher_toolformer"]
    seeds = config.sources[1]
    assert seeds.explode == "instances"
    assert (seeds.fields.instruction, seeds.fields.input, seeds.fields.response) == (
        "instruction", "instances.input", "instances.output"
    )
    assert [source.kind for source in config.sources] == ["real", "real", "synthetic"]
    expected_folder = (EXAMPLE_CONFIG.parent / "../../shared/data").resolve()
    assert config.source_path(config.sources[0]).resolve() == expected_folder / "gsm8k_train.jsonl"
    assert config.export.system_prompt is None
    assert config.split.eval_fraction == 0.05


def test_config_path_comes_from_the_environment_when_not_given(tmp_path, monkeypatch):
    path = write_config(tmp_path, one_source(name="from_env"))
    monkeypatch.setenv("CURATION_CONFIG", str(path))
    assert [source.name for source in load_config().sources] == ["from_env"]


def test_relative_source_paths_resolve_against_the_config_folder_not_the_working_directory(tmp_path, monkeypatch):
    config_dir = tmp_path / "project" / "configs"
    second = one_source(name="absolute", path="/srv/elsewhere/table.csv", format_="csv")
    path = write_config(config_dir, one_source(path="data/logs.jsonl") + second.split("\n", 1)[1])
    elsewhere = tmp_path / "somewhere_else"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    config = load_config(path)
    assert config.source_path(config.sources[0]) == config_dir / "data" / "logs.jsonl"
    assert config.source_path(config.sources[1]) == Path("/srv/elsewhere/table.csv")


def test_env_reference_uses_the_variable_when_set_and_the_default_otherwise(tmp_path, monkeypatch):
    path = write_config(tmp_path, one_source(path="${CURATION_TEST_DATA_DIR:-fallback}/logs.jsonl"))
    assert load_config(path).sources[0].path == "fallback/logs.jsonl"

    monkeypatch.setenv("CURATION_TEST_DATA_DIR", "/data/mounted")
    config = load_config(path)
    assert config.sources[0].path == "/data/mounted/logs.jsonl"
    assert config.source_path(config.sources[0]) == Path("/data/mounted/logs.jsonl")


def test_env_reference_without_default_to_an_unset_variable_is_a_config_error(tmp_path):
    path = write_config(tmp_path, one_source(path="${CURATION_TEST_DATA_DIR}/logs.jsonl"))
    message = config_error(path)
    assert "${CURATION_TEST_DATA_DIR}" in message
    assert "not set and has no default" in message


def test_unknown_format_is_a_config_error_naming_the_field(tmp_path):
    message = config_error(write_config(tmp_path, one_source(format_="xml")))
    assert str(tmp_path / "pipeline.yaml") in message
    assert "sources.0.format" in message
    assert "'jsonl', 'json', 'csv', 'parquet' or 'hf_disk'" in message
    assert "'xml'" in message


def test_bad_source_name_is_a_config_error_explaining_the_rule(tmp_path):
    message = config_error(write_config(tmp_path, one_source(name="Support-Logs")))
    assert "source name 'Support-Logs' must be lowercase letters, digits and underscores" in message


def test_duplicate_source_names_are_a_config_error_naming_them(tmp_path):
    text = one_source(name="logs") + one_source(name="logs").split("\n", 1)[1]
    message = config_error(write_config(tmp_path, text))
    assert "source names must be unique; repeated: logs" in message


@pytest.mark.parametrize(
    ("extra_yaml", "key", "meant"),
    [
        ("split:\n  eval_fraction: 0.1\n  sead: 3\n", "split.sead", "seed"),
        ("dedupe:\n  fields: [instruction]\n", "dedupe", "dedup"),
        ("dedup:\n  near_duplicates:\n    treshold: 0.7\n", "dedup.near_duplicates.treshold", "threshold"),
        ("clean:\n  colour: blue\n", "clean.colour", None),
    ],
)
def test_unknown_key_is_a_config_error_naming_it_and_the_key_meant(tmp_path, extra_yaml, key, meant):
    message = config_error(write_config(tmp_path, one_source() + extra_yaml))
    assert f"  {key}: Extra inputs are not permitted" in message
    assert (f"did you mean '{meant}'?" in message) if meant else ("did you mean" not in message)


def test_a_misspelled_source_key_is_named_with_the_key_meant(tmp_path):
    text = one_source().replace("license:", "licence:")
    message = config_error(write_config(tmp_path, text))
    assert "sources.0.license: Field required" in message
    assert "sources.0.licence: Extra inputs are not permitted; did you mean 'license'?" in message


def test_the_cli_says_a_config_error_in_a_few_lines_and_exits_2(tmp_path):
    import subprocess
    import sys

    path = write_config(tmp_path, one_source() + "split:\n  sead: 3\n")
    run = subprocess.run([sys.executable, "-m", "curation_assets.cli", "run", "--config", str(path)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.startswith(f"curation: config file {path} is invalid:")
    assert "Traceback" not in run.stderr and len(run.stderr.splitlines()) == 2


def test_out_of_range_settings_are_config_errors(tmp_path):
    message = config_error(write_config(tmp_path, one_source() + "split:\n  eval_fraction: 1.0\n"))
    assert "split.eval_fraction" in message
    message = config_error(write_config(tmp_path, one_source() + "clean:\n  min_response_chars: 0\n"))
    assert "clean.min_response_chars" in message


def test_missing_invalid_or_non_mapping_config_files_are_config_errors(tmp_path):
    assert "does not exist" in config_error(tmp_path / "nope.yaml")
    assert "is not valid YAML" in config_error(write_config(tmp_path, "sources: [\n", name="broken.yaml"))
    assert "must hold a mapping" in config_error(write_config(tmp_path, "- just\n- a list\n", name="list.yaml"))
    assert "sources" in config_error(write_config(tmp_path, "split: {seed: 1}\n", name="nosources.yaml"))


def test_output_locations_resolve_against_the_working_directory(tmp_path, monkeypatch):
    path = write_config(tmp_path / "cfg", one_source())
    monkeypatch.chdir(tmp_path)
    config = load_config(path)
    assert config.warehouse_path() == tmp_path / "curation_data" / "warehouse.duckdb"
    assert config.output_dir() == tmp_path / "curation_data" / "exports"


def test_warehouse_and_output_dir_environment_overrides_win(tmp_path, monkeypatch):
    path = write_config(tmp_path / "cfg", one_source() + "warehouse:\n  path: from_config.duckdb\n")
    monkeypatch.setenv("CURATION_WAREHOUSE", str(tmp_path / "env" / "wh.duckdb"))
    monkeypatch.setenv("CURATION_OUTPUT_DIR", str(tmp_path / "env" / "out"))
    config = load_config(path)
    assert config.warehouse_path() == tmp_path / "env" / "wh.duckdb"
    assert config.output_dir() == tmp_path / "env" / "out"


def test_config_version_ignores_where_the_file_lives_but_not_what_it_says(tmp_path):
    first = load_config(write_config(tmp_path / "a", one_source()))
    moved = load_config(write_config(tmp_path / "b", one_source()))
    changed = load_config(write_config(tmp_path / "c", one_source() + "split:\n  seed: 9\n"))
    assert first.version() == moved.version()
    assert first.version() != changed.version()


def synthetic_config(batches: str) -> str:
    return one_source() + "\nsynthetic:\n  batches:\n" + batches + "\n"


@pytest.mark.parametrize("batch, message", [
    ("    - {name: logs, task: arithmetic, count: 3}", "batch names must be unique and differ from source names"),
    ("    - {name: p, task: paraphrase, count: 3}", "needs 'from_source'"),
    ("    - {name: p, task: paraphrase, count: 3, from_source: nowhere}", "'nowhere' is not a configured source"),
    ("    - {name: a, task: augment, count: 3, from_source: logs}", "needs 'transform'"),
    ("    - {name: r, task: arithmetic, count: 3, template: response_v1}", "'template' applies only to LLM tasks"),
])
def test_invalid_synthetic_batches_are_rejected_with_the_reason(tmp_path, batch, message):
    assert message in config_error(write_config(tmp_path, synthetic_config(batch)))


def test_llm_batches_are_inactive_without_an_endpoint_and_active_with_one(tmp_path, monkeypatch):
    text = synthetic_config("    - {name: r, task: arithmetic, count: 3}\n"
                            "    - {name: c, task: code, count: 3}") + "llm: {base_url: '${ENDPOINT:-}'}\n"
    path = write_config(tmp_path, text)
    offline = load_config(path)
    assert [b.name for b in offline.catalog().active_batches()] == ["r"] and not offline.judge_enabled()
    assert offline.catalog().source_rank("c") == 2 and offline.catalog().record_source_names() == ["logs", "r", "c"]
    monkeypatch.setenv("ENDPOINT", "http://127.0.0.1:9/v1")
    online = load_config(path)
    assert [b.name for b in online.catalog().active_batches()] == ["r", "c"] and online.judge_enabled() and online.uses_llm()


def test_cleaning_and_decontamination_sections_validate(tmp_path):
    from curation_assets.config import ConfigError, load_config

    base = {"sources": [{"name": "a", "path": "a.jsonl", "format": "jsonl", "kind": "real", "license": "x",
                         "fields": {"instruction": "q", "response": "r"}, "pii": "drop"}]}
    cases = [
        ({"clean": {"quality": {"refusal": {"patterns": ["(unclosed"]}}}}, "not a valid regular expression"),
        ({"clean": {"quality": {"repetiton": {"enabled": False}}}}, "repetiton"),
        ({"clean": {"pii": {"types": ["EMAIL", "PASSPORT"]}}}, "PASSPORT"),
        ({"decontaminate": {"benchmarks": [{"name": "b", "path": "b.jsonl", "format": "jsonl", "fields": ["q"]}] * 2}},
         "benchmark names must be unique"),
    ]
    for sections, message in cases:
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump({**base, **sections}), encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_config(path)
    path.write_text(yaml.safe_dump(base), encoding="utf-8")
    assert load_config(path).sources[0].pii == "drop"


def test_a_renamed_section_names_its_new_name(tmp_path):
    config = tmp_path / "old.yaml"
    config.write_text("sources: []\ndecontamination: {ngram: 8}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'decontamination' is now called 'decontaminate'"):
        load_config(config)


def test_env_references_expand_in_values_only_never_in_comments_or_into_yaml(tmp_path, monkeypatch):
    text = ("# data lives in ${CURATION_TEST_UNSET_IN_A_COMMENT}\n"
            + one_source(path="'${CURATION_TEST_DATA_DIR:-fallback}/logs.jsonl'"))
    monkeypatch.setenv("CURATION_TEST_DATA_DIR", "/data/x}, kind: synthetic, {y")
    config = load_config(write_config(tmp_path, text))
    assert config.sources[0].path == "/data/x}, kind: synthetic, {y/logs.jsonl"  # one string, YAML unchanged
    assert config.sources[0].kind == "real"


def test_base_dir_reserved_names_and_unknown_encodings_are_config_errors(tmp_path):
    message = config_error(write_config(tmp_path, one_source() + "base_dir: /elsewhere\n"))
    assert "unknown key 'base_dir'" in message
    message = config_error(write_config(tmp_path, one_source(name="inbox"), name="inbox.yaml"))
    assert "source name(s) inbox reserved" in message
    text = one_source().replace("    license: MIT\n", "    license: MIT\n    encoding: not-a-codec\n")
    message = config_error(write_config(tmp_path, text, name="codec.yaml"))
    assert "sources.0.encoding" in message and "unknown encoding 'not-a-codec'" in message


def test_the_cli_says_a_missing_source_file_before_anything_runs(tmp_path):
    import subprocess
    import sys

    path = write_config(tmp_path, one_source(path="data/nowhere.jsonl"))
    run = subprocess.run([sys.executable, "-m", "curation_assets.cli", "run", "--config", str(path)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr == f"curation: source 'logs': {tmp_path / 'data' / 'nowhere.jsonl'} does not exist\n"
    assert not (tmp_path / ".dagster").exists()  # nothing ran


@pytest.mark.slow
def test_a_failing_step_is_one_line_with_its_cause_and_exit_1(tmp_path):
    """An unmapped field and an unreadable file: each source's step fails in one line naming it."""
    import os
    import subprocess
    import sys

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "logs.jsonl").write_text('{"q": "Why?", "answr": "Because."}\n', encoding="utf-8")
    (tmp_path / "data" / "broken.parquet").write_bytes(b"PAR1 cut short by a failed copy")
    text = (one_source().replace("response: a}", "response: answer}")
            + one_source(name="broken", path="data/broken.parquet", format_="parquet").split("\n", 1)[1])
    path = write_config(tmp_path, text)
    environment = {**os.environ, "DAGSTER_HOME": str(tmp_path / ".dagster")}
    run = subprocess.run([sys.executable, "-m", "curation_assets.cli", "run", "--config", str(path)],
                         cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert "Traceback" not in run.stderr and "Not executing" not in run.stderr, run.stderr[-3000:]
    failing = {line.split()[0]: line for line in lines if line.startswith("  ") and " FAILED " in line}
    assert set(failing) == {"raw_logs", "raw_broken"}, run.stderr
    failed = failing["raw_logs"]
    assert "SourceError: source 'logs'" in failed and "(did you mean 'answr' for 'answer'?)" in failed, failed
    broken = failing["raw_broken"]
    assert f"SourceError: source 'broken' ({tmp_path / 'data' / 'broken.parquet'}): not a readable Parquet file" in broken
    assert lines[-1].startswith("curation: the run failed")
