"""The committed demo files are exactly what the demo generator makes."""

import json

import pyarrow.parquet as pq

from curation_assets.demo.generate import DATA_DIR, generate


def test_committed_demo_data_matches_the_generator(tmp_path):
    for generated in generate(tmp_path):
        committed = DATA_DIR / generated.name
        if generated.suffix == ".parquet":
            # Parquet bytes depend on the writer's version; the rows must not.
            assert pq.read_table(generated).to_pylist() == pq.read_table(committed).to_pylist()
        else:
            assert generated.read_bytes() == committed.read_bytes(), generated.name


def test_demo_data_is_messy_on_purpose():
    lines = (DATA_DIR / "support_logs.jsonl").read_text(encoding="utf-8").splitlines()
    malformed = 0
    for line in lines:
        try:
            json.loads(line)
        except json.JSONDecodeError:
            malformed += 1
    assert malformed == 1
    assert any("<p>" in line for line in lines)
