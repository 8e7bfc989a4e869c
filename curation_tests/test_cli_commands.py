"""The commands a user expects beside ``run``: ``validate``, ``run --sample``, ``run --select``,
``report`` and ``--version``, each through the real CLI (in-process where nothing runs, a
``curation`` subprocess where the graph runs)."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest
import yaml

from curation_assets.cli import main
from support import DEMO_CONFIG


def test_version_names_the_installed_package(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == "curation 0.1.0"


def test_validate_reads_the_first_items_of_every_source_and_runs_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--config", str(DEMO_CONFIG), "--items", "50"]) == 0
    out = capsys.readouterr().out
    demo = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    for source in demo["sources"]:
        assert f"  source '{source['name']}': ok, " in out, out
    assert "source 'support_logs': ok, " in out and "the first 50 items give 49 records, 1 quarantined as malformed_json" in out
    assert not (tmp_path / "curation_data").exists() and not (tmp_path / ".dagster").exists()


def test_validate_names_each_broken_source_with_the_fix_and_exits_2(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "logs.jsonl").write_text('{"q": "Why?", "answr": "Because."}\n' * 3, encoding="utf-8")
    (data / "empty.csv").write_bytes(b"")
    sources = [
        {"name": "logs", "path": "data/logs.jsonl", "format": "jsonl", "fields": {"instruction": "q", "response": "answer"}},
        {"name": "gone", "path": "data/gone.jsonl", "format": "jsonl", "fields": {"instruction": "q", "response": "a"}},
        {"name": "empty", "path": "data/empty.csv", "format": "csv", "fields": {"instruction": "q", "response": "a"}},
    ]
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"sources": [{**source, "kind": "real", "license": "MIT"} for source in sources]}),
                      encoding="utf-8")
    assert main(["validate", "--config", str(config)]) == 2
    captured = capsys.readouterr()
    problems = {line.split(":")[0].strip(): line for line in captured.out.splitlines() if "PROBLEM" in line}
    assert set(problems) == {"source 'logs'", "source 'gone'", "source 'empty'"}, captured.out
    assert "did you mean 'answr' for 'answer'?" in problems["source 'logs'"]
    assert "does not exist" in problems["source 'gone'"] and "file is empty" in problems["source 'empty'"]
    assert captured.err == "curation validate: 3 problem(s) above; nothing was run\n"


def _curation(tmp_path, *arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DAGSTER_HOME": str(tmp_path / ".dagster"), "CURATION_CONFIG": str(DEMO_CONFIG)}
    for name in ("CURATION_WAREHOUSE", "CURATION_OUTPUT_DIR", "CURATION_SHARDS", "CURATION_SAMPLE_RECORDS"):
        environment.pop(name, None)
    return subprocess.run([sys.executable, "-m", "curation_assets.cli", *arguments], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, timeout=600)


def _rows(warehouse, table: str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.mark.slow
def test_a_sample_run_reads_the_first_records_into_its_own_warehouse(tmp_path):
    run = _curation(tmp_path, "run", "--sample", "30")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "a sample run: the first 30 lines or items of each source" in run.stderr
    sample = tmp_path / "curation_data" / "sample" / "warehouse.duckdb"
    assert not (tmp_path / "curation_data" / "warehouse.duckdb").exists()  # the main warehouse is untouched
    with duckdb.connect(str(sample), read_only=True) as connection:
        quarantined = dict(connection.execute("SELECT source, count(*) FROM rejections WHERE stage = 'load' "
                                              "GROUP BY ALL").fetchall())
    for source in ("faq_export", "math_drills", "tool_snippets", "support_logs"):
        assert _rows(sample, f"raw_{source}") + quarantined.get(source, 0) == 30, source
    assert _rows(sample, "train") > 0 and (tmp_path / "curation_data" / "sample" / "exports" / "manifest.json").is_file()


@pytest.mark.slow
def test_select_runs_part_of_the_graph_and_report_prints_the_last_run(tmp_path):
    first = _curation(tmp_path, "run", "--select", "+key:mixed")
    assert first.returncode == 0, first.stderr[-3000:]
    steps = {line.split()[0] for line in first.stderr.splitlines() if line.startswith("  ") and ":" not in line.split()[0]}
    assert "mixed" in steps and not steps & {"cleaned", "deduplicated", "splits", "data_card"}, first.stderr
    second = _curation(tmp_path, "run", "--select", "key:cleaned")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "materializing 1 selected asset(s): cleaned" in second.stderr
    warehouse = tmp_path / "curation_data" / "warehouse.duckdb"
    assert _rows(warehouse, "cleaned") > 0
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_name = 'deduplicated'").fetchone()[0] == 0

    report = _curation(tmp_path, "report")
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    assert lines[0].startswith("Last run: ") and lines[0].split()[3] == "success,"
    funnel = lines[lines.index("Drop funnel (pipeline order):") + 1:]
    stages = [line.split()[0] for line in funnel]
    assert stages.index("mix") < stages.index("clean") and "dedup" not in stages, report.stdout
    assert "Mix (achieved vs target share):" in report.stdout

    bad = _curation(tmp_path, "run", "--select", "key:nothing")
    assert bad.returncode == 2 and bad.stderr.startswith("curation: --select 'key:nothing' names no asset"), bad.stderr
