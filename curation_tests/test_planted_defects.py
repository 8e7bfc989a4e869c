"""Duplicate groups are judged among records that passed cleaning: the clean original represents its
group, and no group is lost. The corpus (planted_defects.py) is real records from ../shared/data
plus defective variants of some of them; the whole graph runs on it with the example settings."""

import pytest
import yaml

from planted_defects import DEFECT_KINDS, judge, planted_defects
from support import SHARED_CONFIG, materialize_config, query

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory, shared_data):
    folder = tmp_path_factory.mktemp("planted")
    planted = planted_defects(shared_data)
    paths = planted.write(folder / "data")
    config = yaml.safe_load(SHARED_CONFIG.read_text(encoding="utf-8"))
    config.pop("synthetic", None)
    config.pop("llm", None)
    fields = {"instruction": "instruction", "input": "input", "response": "response"}
    config["sources"] = [
        {"name": name, "path": str(paths[name]), "format": "jsonl", "fields": fields, "kind": kind,
         "license": "MIT, Apache-2.0 (../shared/data)"}
        for name, kind in (("originals", "real"), ("variants", "real"), ("model_b", "synthetic"))
    ]
    config["warehouse"] = {"path": str(folder / "warehouse.duckdb")}
    config["export"]["output_dir"] = str(folder / "exports")
    config_path = folder / "planted.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    assert materialize_config(config_path).success
    # source_position counts a JSONL file's lines from 1; the corpus lists records from 0.
    survivors = {(source, int(position) - 1) for table in ("train", "eval") for source, position in query(
        folder / "warehouse.duckdb", f"SELECT source, source_position FROM main.{table}")}
    return planted, judge(planted, survivors), folder


def test_the_corpus_plants_every_kind_of_defect(planted_run):
    planted = planted_run[0]
    kinds = [variant["kind"] for variant in planted.variants] + ["second_answer"] * len(planted.second_answers)
    assert all(kinds.count(kind) >= 15 for kind in DEFECT_KINDS), {kind: kinds.count(kind) for kind in DEFECT_KINDS}


def test_the_clean_original_represents_its_group_and_no_group_is_lost(planted_run):
    planted, outcome, _ = planted_run
    print(f"\nplanted defects handled {outcome.defects_handled:.3f}, clean records kept {outcome.clean_kept:.3f}, "
          f"groups keeping one member {outcome.groups_with_one_member:.3f}")
    assert outcome.lost == []  # each original survives itself, not a repaired variant
    assert outcome.surviving_defects == []
    assert outcome.groups_with_one_member == 1.0
    assert outcome.defects_handled >= 0.99 and outcome.clean_kept >= 0.99


def test_repaired_variants_lose_to_their_originals_in_dedup(planted_run):
    """The HTML and PII variants pass cleaning (repaired) and are then rejected by dedup as duplicates
    or conflicts of their original, not the other way round."""
    planted, _, folder = planted_run
    rows = query(folder / "warehouse.duckdb",
                 "SELECT source_position, stage, reason FROM rejections WHERE source = 'variants'")
    by_kind: dict[str, set[tuple[str, str]]] = {}
    for line, stage, reason in rows:
        by_kind.setdefault(planted.variants[line - 1]["kind"], set()).add((stage, reason))
    assert {stage for stage, _ in by_kind["html"]} == {"dedup"}
    assert {stage for stage, _ in by_kind["pii"]} == {"dedup"}
    assert by_kind["refusal"] == {("clean", "refusal")}
    assert by_kind["empty"] == {("clean", "empty_response")}
    assert query(folder / "warehouse.duckdb",
                 "SELECT count(*) FROM rejections WHERE source = 'originals'")[0][0] == 0
