"""A partitioned asset's partitions succeed or fail on their own: a quarantined one does not fail the
blocking verdicts of the ones published beside it; a warning check names it. Real warehouse, real
GX suite, a real Dagster asset context."""

from __future__ import annotations

import dagster as dg

from curation_assets.checks.suites import record_suite
from curation_assets.config import load_config
from curation_assets.core.reconcile import reconcile_counts
from curation_assets.core.records import empty_rejections
from curation_assets.defs.publishing import (EVERY_PARTITION_CHECK, PartitionPublisher, every_partition_check_spec,
                                             record_check_specs)
from curation_assets.storage.warehouse import Warehouse
from record_frames import records

KEY = dg.AssetKey("synthetic_batches")


def _batch(source: str, start: int):
    frame = records(5, source=source, start=start)
    return frame.assign(record_id=[f"{start + index:020x}" for index in range(len(frame))])


def _materialized(tmp_path, publishes) -> tuple[dict[str, dg.AssetCheckEvaluation], Warehouse]:
    """``publishes(publisher)`` inside a real materialization of ``synthetic_batches``: its check verdicts."""
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    suite = record_suite("synthetic_batches", load_config(), require_text=False)

    @dg.asset(key=KEY, check_specs=[*record_check_specs(KEY, suite), every_partition_check_spec(KEY)])
    def synthetic_batches(context):
        publisher = PartitionPublisher(context, warehouse, KEY, suite, "synthetic")
        return publisher.result(publishes(publisher), {})

    result = dg.materialize([synthetic_batches], raise_on_error=False)
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}, warehouse


def test_a_quarantined_partition_warns_and_the_published_ones_pass(tmp_path):
    def publishes(publisher: PartitionPublisher) -> list[str]:
        good, bad = _batch("synth_invoices", 0), _batch("synth_word_problems", 100)
        assert publisher.publish("synth_invoices", good, empty_rejections("synthetic"), reconcile_counts(5, 5, 0),
                                 quarantine="synthetic_batches_synth_invoices", label="batch synth_invoices")
        # Five records came in, four are here and none was rejected: the batch does not balance.
        assert not publisher.publish("synth_word_problems", bad.head(4), empty_rejections("synthetic"),
                                     reconcile_counts(5, 4, 0), quarantine="synthetic_batches_synth_word_problems",
                                     label="batch synth_word_problems")
        publisher.could_not_build("synth_forms_de", "RuntimeError: the generator broke", "batch synth_forms_de")
        return ["synth_invoices", "synth_word_problems"]

    verdicts, warehouse = _materialized(tmp_path, publishes)
    assert verdicts["gx_synthetic_batches"].passed and verdicts["reconciliation"].passed
    warning = verdicts[EVERY_PARTITION_CHECK]
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
    assert warning.metadata["quarantined"].value == {"synth_word_problems": ["reconciliation"]}
    assert warning.metadata["failed"].value == {"synth_forms_de": "RuntimeError: the generator broke"}
    published = warehouse.read_frame("SELECT DISTINCT source FROM synthetic_batches")["source"].tolist()
    assert published == ["synth_invoices"]


def test_when_no_partition_is_published_the_blocking_verdicts_fail(tmp_path):
    def publishes(publisher: PartitionPublisher) -> list[str]:
        assert not publisher.publish("synth_invoices", _batch("synth_invoices", 0), empty_rejections("synthetic"),
                                     reconcile_counts(6, 5, 0), quarantine="synthetic_batches_synth_invoices",
                                     label="batch synth_invoices")
        return ["synth_invoices"]

    verdicts, _ = _materialized(tmp_path, publishes)
    assert not verdicts["gx_synthetic_batches"].passed and not verdicts["reconciliation"].passed
    assert not verdicts[EVERY_PARTITION_CHECK].passed
