"""The dedup stage in real materializations: its tables, its check, and dedup across two runs."""

import json

import numpy as np
import pytest

from support import materialize_config, query, write_config


def _paragraph(seed: int, words: int = 60) -> str:
    rng = np.random.default_rng(seed)
    return " ".join(f"word{value}" for value in rng.integers(0, 100000, size=words))


def _source(path):
    return [{"name": "daily", "path": str(path), "format": "jsonl", "kind": "real", "license": "test",
             "fields": {"instruction": "q", "response": "a"}}]


def _write(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def _near_copy(text: str) -> str:
    words = text.split()
    words[30] = "edited"
    return " ".join(words)


@pytest.mark.slow
def test_tomorrows_batch_is_deduplicated_against_todays_and_reruns_change_nothing(workdir):
    data = workdir / "daily.jsonl"
    config = write_config(workdir / "config.yaml", _source(data))
    warehouse = workdir / "warehouse.duckdb"
    today = [{"q": _paragraph(seed), "a": f"answer {seed}"} for seed in range(5)]
    today.append({"q": _near_copy(today[0]["q"]), "a": "answer 0"})  # a near-duplicate within the day
    _write(data, today)
    assert materialize_config(config).success
    kept_today = {row[0]: row[1] for row in query(warehouse, "SELECT record_id, instruction FROM main.deduplicated")}
    assert len(kept_today) == 5
    clusters = query(warehouse, "SELECT size, member_ids FROM main.duplicate_clusters")
    assert [size for size, _ in clusters] == [2]

    tomorrow = [
        {"q": _near_copy(today[1]["q"]), "a": "answer 1"},  # yesterday's near-duplicate
        {"q": today[2]["q"].upper(), "a": "ANSWER 2"},  # yesterday's exact duplicate, after normalization
        {"q": _paragraph(99), "a": "answer 99"},  # new
    ]
    _write(data, tomorrow)
    assert materialize_config(config).success
    rejected = query(warehouse, "SELECT reason, detail FROM rejections WHERE stage = 'dedup' ORDER BY reason")
    assert [reason for reason, _ in rejected] == ["exact_duplicate", "near_duplicate"]
    yesterday_ids = {text: record_id for record_id, text in kept_today.items()}
    assert yesterday_ids[today[2]["q"]] in rejected[0][1] and "earlier run" in rejected[0][1]
    assert yesterday_ids[today[1]["q"]] in rejected[1][1]
    assert [row[0] for row in query(warehouse, "SELECT instruction FROM main.deduplicated")] == [tomorrow[2]["q"]]
    assert query(warehouse, "SELECT count(*) FROM dedup_history")[0][0] == 6

    before = query(warehouse, "SELECT record_id, reason, detail FROM rejections ORDER BY ALL")
    assert materialize_config(config).success  # the same batch again
    assert query(warehouse, "SELECT record_id, reason, detail FROM rejections ORDER BY ALL") == before
    assert query(warehouse, "SELECT count(*) FROM dedup_history")[0][0] == 6

    # Other near-duplicate settings: yesterday's history rows are re-signed under them, today's replaced.
    old_scheme = query(warehouse, "SELECT DISTINCT scheme FROM dedup_history")
    write_config(workdir / "config.yaml", _source(data), dedup={"near_duplicates": {"shingle_size": 3}})
    assert materialize_config(config).success
    schemes = query(warehouse, "SELECT scheme, count(*), count(DISTINCT record_id) FROM dedup_history GROUP BY ALL")
    assert len(schemes) == 1 and schemes[0][0] != old_scheme[0][0] and schemes[0][1:] == (6, 6)
    assert query(warehouse, "SELECT count(*) FROM rejections WHERE stage = 'dedup'")[0][0] == 2


@pytest.mark.slow
def test_dedup_publishes_clusters_and_conflicts_and_its_check_passes(workdir):
    data = workdir / "daily.jsonl"
    base = _paragraph(1)
    _write(data, [
        {"q": base, "a": "the answer"},
        {"q": _near_copy(base), "a": "the answer"},
        {"q": "What is the boiling point of water at sea level?", "a": "100 degrees Celsius."},
        {"q": "What is the boiling point of water at sea level?", "a": "About 90 degrees."},
        {"q": "Repeat after me", "a": "\n".join(["again and again"] * 6)},
    ])
    config = write_config(workdir / "config.yaml", _source(data))
    result = materialize_config(config)
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations() if e.asset_key.to_user_string() == "deduplicated"}
    assert checks["no_near_duplicates_kept"].passed
    warehouse = workdir / "warehouse.duckdb"
    reasons = dict(query(warehouse, "SELECT reason, count(*) FROM rejections WHERE stage = 'dedup' GROUP BY ALL"))
    assert reasons == {"near_duplicate": 1, "conflicting_response": 1, "repetition": 1}
    cluster = query(warehouse, "SELECT representative_id, size, member_ids, jaccard FROM main.duplicate_clusters")[0]
    near = query(warehouse, "SELECT record_id, detail FROM rejections WHERE reason = 'near_duplicate'")[0]
    assert cluster[1] == 2 and cluster[2][1] == near[0] and cluster[0] in near[1] and cluster[3][0] == 1.0
    conflict = query(warehouse, "SELECT kind, size, kept_ids FROM main.conflicts")[0]
    assert conflict[0] == "conflicting_response" and conflict[1] == 2 and len(conflict[2]) == 1
    materialization = [e for e in result.get_asset_materialization_events()
                       if e.asset_key.to_user_string() == "deduplicated"][0].materialization
    assert "| cluster | size |" in materialization.metadata["largest_clusters"].value
    assert materialization.metadata["near_duplicates"].value["clusters"] == 1


def test_the_dedup_asset_carries_a_blocking_near_duplicate_check():
    from support import DEMO_CONFIG
    from curation_assets.config import load_config
    from curation_assets.definitions import build_definitions

    defs = build_definitions(load_config(DEMO_CONFIG))
    import dagster as dg

    specs = {spec.name: spec for asset in defs.assets if isinstance(asset, dg.AssetsDefinition)
             for spec in asset.check_specs if spec.asset_key.to_user_string() == "deduplicated"}
    assert {"gx_deduplicated", "reconciliation", "no_near_duplicates_kept"} <= set(specs)
    assert specs["no_near_duplicates_kept"].blocking
