"""The daily schedule and the inbox sensor, ticked against a real instance and their runs executed.

Each tick is evaluated the way the daemon evaluates it (``evaluate_tick`` on a persistent instance);
the partitions it adds and the runs it requests are then applied and executed, and the warehouse is
checked: new records flowed all the way to the splits, nothing else changed, counts still balance.
"""

import json
from datetime import datetime, timezone

import dagster as dg
import pytest
import yaml

from support import demo_config_dict, materialize_config, query
from curation_assets.config import load_config
from curation_assets.definitions import build_definitions
from curation_assets.defs.partitions import ARRIVALS, RANGE_END_TAG, RANGE_START_TAG
from curation_assets.defs.synthetic import register_batches

pytestmark = [pytest.mark.slow]

DAILY = "synth_forms_de"
DAY = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """The demo config (inbox in a temporary folder), materialized once, on a persistent instance."""
    folder = tmp_path_factory.mktemp("production")
    config = demo_config_dict()
    config["warehouse"] = {"path": str(folder / "warehouse.duckdb")}
    config["export"]["output_dir"] = str(folder / "exports")
    config["inbox"].update(path=str(folder / "inbox"), settle_seconds=0)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (folder / "dagster_home").mkdir()
    with dg.instance_for_test(temp_dir=str(folder / "dagster_home")) as instance:
        assert materialize_config(path, instance=instance).success
        loaded = load_config(path)
        yield {"folder": folder, "config": loaded, "defs": build_definitions(loaded), "instance": instance,
               "warehouse": folder / "warehouse.duckdb", "inbox": folder / "inbox"}


def _count(pipeline, statement: str, parameters=None) -> int:
    return query(pipeline["warehouse"], statement, parameters)[0][0]


def _tick_schedule(pipeline, when: datetime):
    defs = pipeline["defs"]
    context = dg.build_schedule_context(instance=pipeline["instance"], scheduled_execution_time=when,
                                        repository_def=defs.get_repository_def())
    return defs.resolve_schedule_def("daily_synthetic_batch").evaluate_tick(context)


def _execute(pipeline, job_name: str, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    job = pipeline["defs"].resolve_job_def(job_name)
    return job.execute_in_process(instance=pipeline["instance"], tags=request.tags, raise_on_error=False)


def _balances(pipeline) -> None:
    """in = out + rejected at every stage after combined, as after a single run."""
    rejected = dict(query(pipeline["warehouse"], "SELECT stage, count(*) FROM rejections GROUP BY stage"))
    tables = {t: _count(pipeline, f"SELECT count(*) FROM main.{t}") for t in
              ("combined", "mixed", "cleaned", "decontaminated", "deduplicated", "train", "eval")}
    assert tables["combined"] == tables["mixed"] + rejected.get("mix", 0)
    assert tables["mixed"] == tables["cleaned"] + rejected.get("clean", 0)
    assert tables["cleaned"] == tables["decontaminated"] + rejected.get("decontaminate", 0)
    assert tables["decontaminated"] == tables["deduplicated"] + rejected.get("dedup", 0)
    assert tables["deduplicated"] == tables["train"] + tables["eval"]


def test_the_daily_tick_adds_todays_batch_and_its_run_refreshes_everything_downstream(pipeline):
    instance = pipeline["instance"]
    before = {t: _count(pipeline, f"SELECT count(*) FROM main.{t}") for t in ("synthetic_batches", "combined")}
    original = query(pipeline["warehouse"], "SELECT record_id FROM main.synthetic_batches WHERE source = ? ORDER BY 1",
                     [DAILY])

    tick = _tick_schedule(pipeline, DAY)

    key = f"{DAILY}_20261127"
    assert key in instance.get_dynamic_partitions(ARRIVALS.name)
    [request] = tick.run_requests
    assert request.tags[RANGE_START_TAG] == request.tags[RANGE_END_TAG] == key
    assert request.tags["curation/day"] == "20261127"
    assert request.tags["dagster/schedule_name"] == "daily_synthetic_batch"

    result = _execute(pipeline, "daily_synthetic", request)
    assert result.success
    materialized = {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}
    assert {"synthetic_batches", "verified_synthetic", "combined", "cleaned", "train", "eval", "exports",
            "data_card"} <= materialized
    assert not {name for name in materialized if name.startswith("raw_") and name != "raw_inbox"}  # not re-read

    day_rows = query(pipeline["warehouse"], "SELECT record_id, lineage FROM main.synthetic_batches WHERE source = ?",
                     [key])
    assert len(day_rows) == 20  # the batch's count, generated with the day's own seed
    assert {json.loads(lineage)["batch"] for _, lineage in day_rows} == {key}
    assert not {row[0] for row in day_rows} & {row[0] for row in original}
    # The other batches were left as they were; the day's records reached the splits.
    assert _count(pipeline, "SELECT count(*) FROM main.synthetic_batches") == before["synthetic_batches"] + 20
    assert _count(pipeline, "SELECT count(*) FROM main.combined WHERE source = ?", [key]) > 0
    assert _count(pipeline, "SELECT count(*) FROM (SELECT source FROM main.train UNION ALL "
                            "SELECT source FROM main.eval) WHERE source = ?", [key]) > 0
    _balances(pipeline)

    # The same day again (a retried tick): the same partition, regenerated identically.
    [again] = _tick_schedule(pipeline, DAY).run_requests
    assert again.tags[RANGE_START_TAG] == key
    assert _execute(pipeline, "daily_synthetic", again).success
    assert query(pipeline["warehouse"], "SELECT record_id, lineage FROM main.synthetic_batches WHERE source = ?",
                 [key]) == day_rows

    # `curation run` keeps the days the schedule added, and its one run covers them.
    tags = register_batches(instance, pipeline["config"])
    assert key in instance.get_dynamic_partitions(ARRIVALS.name)
    assert tags[RANGE_END_TAG] == key


def _write_jsonl(path, rows) -> None:
    path.write_text("".join(json.dumps(row) + "\n" if isinstance(row, dict) else row + "\n" for row in rows),
                    encoding="utf-8")


def _tick_inbox(pipeline, cursor):
    defs = pipeline["defs"]
    context = dg.build_sensor_context(instance=pipeline["instance"], cursor=cursor, definitions=defs,
                                      instance_ref=pipeline["instance"].get_ref())
    return defs.resolve_sensor_def("inbox_files").evaluate_tick(context)


def _apply(pipeline, tick) -> None:
    """What the daemon does with a tick's partition requests before it launches the runs."""
    for request in tick.dynamic_partitions_requests:
        pipeline["instance"].add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))


FEEDBACK = [
    {"instruction": "How do I export my invoices as a spreadsheet from the billing page?",
     "response": "Open Billing, choose Invoices, select the date range and click Export, then pick CSV or XLSX."},
    {"instruction": "Can I change the email address that receives my monthly statements?",
     "response": "Yes. Go to Settings, then Notifications, and enter the new address under Statements."},
    "{this line is not json",
    {"instruction": "Why was my card charged twice for the same order last Tuesday?",
     "response": "A pending authorization can look like a second charge; it disappears within three business days."},
]


def test_each_new_inbox_file_becomes_a_partition_and_a_run_and_changes_are_picked_up(pipeline):
    inbox = pipeline["inbox"]
    inbox.mkdir(exist_ok=True)
    _write_jsonl(inbox / "feedback.jsonl", FEEDBACK)
    (inbox / "notes.txt").write_text("not a data file\n", encoding="utf-8")
    (inbox / ".feedback2.jsonl").write_text("{}\n", encoding="utf-8")  # an editor's or uploader's hidden file
    (inbox / "upload.jsonl.part").write_text("{}\n", encoding="utf-8")  # still being copied
    combined_before = _count(pipeline, "SELECT count(*) FROM main.combined")

    tick = _tick_inbox(pipeline, None)

    [request] = tick.run_requests
    assert request.partition_key == "inbox/feedback.jsonl" and request.tags["curation/inbox_file"] == "feedback.jsonl"
    assert [list(r.partition_keys) for r in tick.dynamic_partitions_requests] == [["inbox/feedback.jsonl"]]
    assert json.loads(tick.cursor)["notes.txt"] == "refused"
    _apply(pipeline, tick)
    result = _execute(pipeline, "ingest_inbox", request)
    assert result.success
    materialized = {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}
    assert {"raw_inbox", "combined", "cleaned", "train", "eval", "exports"} <= materialized
    assert not {name for name in materialized if name.startswith("raw_") and name != "raw_inbox"}

    source = "inbox/feedback.jsonl"
    assert _count(pipeline, "SELECT count(*) FROM main.raw_inbox WHERE source = ?", [source]) == 3
    assert query(pipeline["warehouse"], "SELECT stage, reason, source_position FROM rejections WHERE source = ?",
                 [source]) == [("load", "malformed_json", 3)]
    assert _count(pipeline, "SELECT count(*) FROM main.combined") == combined_before + 3
    assert _count(pipeline, "SELECT count(*) FROM (SELECT source FROM main.train UNION ALL "
                            "SELECT source FROM main.eval) WHERE source = ?", [source]) == 3
    _balances(pipeline)

    # Nothing new: the next tick requests nothing.
    quiet = _tick_inbox(pipeline, tick.cursor)
    assert not quiet.run_requests and "no new or changed files" in quiet.skip_message

    # The file is replaced with a corrected version: the same partition, a new run, its rows replaced.
    _write_jsonl(inbox / "feedback.jsonl", [row for row in FEEDBACK if isinstance(row, dict)])
    changed = _tick_inbox(pipeline, quiet.cursor)
    [rerun] = changed.run_requests
    assert rerun.partition_key == "inbox/feedback.jsonl" and rerun.run_key != request.run_key
    assert not changed.dynamic_partitions_requests
    assert _execute(pipeline, "ingest_inbox", rerun).success
    assert _count(pipeline, "SELECT count(*) FROM main.raw_inbox") == 3
    # The malformed line's rejection went with the old version. The third record moved from line 4 to
    # line 3, so it has a new id; incremental dedup knows its text was published by the earlier run.
    [(stage, reason, detail)] = query(pipeline["warehouse"], "SELECT stage, reason, detail FROM rejections "
                                                             "WHERE source = ?", [source])
    assert (stage, reason) == ("dedup", "exact_duplicate") and "earlier run" in detail
    _balances(pipeline)


def test_an_unreadable_inbox_file_fails_its_run_with_the_reason_and_blocks_nothing_else(pipeline):
    inbox = pipeline["inbox"]
    inbox.mkdir(exist_ok=True)
    (inbox / "empty.csv").write_bytes(b"")
    combined_before = query(pipeline["warehouse"], "SELECT count(*) FROM main.combined")

    tick = _tick_inbox(pipeline, json.dumps({}))
    [request] = [r for r in tick.run_requests if r.partition_key == "inbox/empty.csv"]
    _apply(pipeline, tick)
    result = _execute(pipeline, "ingest_inbox", request)

    assert not result.success
    failure = [event for event in result.all_events if event.is_step_failure][0]
    assert "empty.csv" in failure.step_failure_data.error.message
    assert "file is empty" in failure.step_failure_data.error.message
    assert query(pipeline["warehouse"], "SELECT stage, reason FROM rejections WHERE source = 'inbox/empty.csv'") == [
        ("load", "unreadable_file")]
    assert query(pipeline["warehouse"], "SELECT count(*) FROM main.combined") == combined_before  # downstream did not run
    (inbox / "empty.csv").unlink()


def test_curation_run_loads_the_inbox_too_and_removed_files_keep_their_rows(pipeline):
    inbox = pipeline["inbox"]
    (inbox / "late.csv").write_text(
        "instruction,response\n"
        "What is the late fee if I pay my invoice a week after the due date?,A flat 2% of the invoice total.\n",
        encoding="utf-8")
    (inbox / "feedback.jsonl").unlink()  # processed files get cleaned up; their rows stay

    assert materialize_config(pipeline["folder"] / "config.yaml", instance=pipeline["instance"]).success

    assert "inbox/late.csv" in pipeline["instance"].get_dynamic_partitions(ARRIVALS.name)
    assert dict(query(pipeline["warehouse"], "SELECT source, count(*) FROM main.raw_inbox GROUP BY 1")) == {
        "inbox/late.csv": 1, "inbox/feedback.jsonl": 3}
    _balances(pipeline)
    card = (pipeline["folder"] / "exports" / "data_card.html").read_text(encoding="utf-8")
    assert f"inbox ({pipeline['inbox']})" in card  # the inbox is one row of the card's sources table


def test_the_inbox_follows_no_symlink_and_refuses_keys_that_leave_the_folder(pipeline):
    inbox = pipeline["inbox"]
    inbox.mkdir(exist_ok=True)
    outside = pipeline["folder"] / "outside.jsonl"
    outside.write_text(json.dumps(FEEDBACK[0]) + "\n", encoding="utf-8")
    (inbox / "passwd.jsonl").symlink_to("/etc/passwd")
    (inbox / "linked.jsonl").symlink_to(outside)
    try:
        tick = _tick_inbox(pipeline, json.dumps({}))
        requested = {request.partition_key for request in tick.run_requests}
        assert not requested & {"inbox/passwd.jsonl", "inbox/linked.jsonl"}

        # A run asked for them anyway (a hand-made partition key) loads nothing from outside the folder.
        keys = ["inbox/linked.jsonl", "inbox/../outside.jsonl"]
        pipeline["instance"].add_dynamic_partitions(ARRIVALS.name, keys)
        for key in keys:
            result = pipeline["defs"].resolve_job_def("ingest_inbox").execute_in_process(
                instance=pipeline["instance"], partition_key=key, raise_on_error=False)
            assert not result.success
            message = [event for event in result.all_events if event.is_step_failure][0].step_failure_data.error.message
            assert "symbolic link" in message or "not a file name inside the inbox" in message, message
            assert query(pipeline["warehouse"], "SELECT reason FROM rejections WHERE source = ?", [key]) == [
                ("unreadable_file",)]
            assert query(pipeline["warehouse"], "SELECT count(*) FROM main.raw_inbox WHERE source = ?", [key]) == [(0,)]
    finally:
        (inbox / "passwd.jsonl").unlink()
        (inbox / "linked.jsonl").unlink()
