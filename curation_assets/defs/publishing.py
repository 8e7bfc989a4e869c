"""What every record asset does after its pure stage ran: check, then publish or quarantine."""

from dataclasses import dataclass
from typing import Iterable, Sequence

import dagster as dg
import numpy as np
import pandas as pd

from curation_assets.checks.gx_checks import evaluate_suite, gx_check_spec
from curation_assets.checks.gx_factory import GxSuite
from curation_assets.core.reconcile import Reconciliation
from curation_assets.core.records import RECORD_COLUMN_DESCRIPTIONS, RECORD_COLUMNS, RECORD_DTYPES
from curation_assets.defs.side_tables import report_side_tables
from curation_assets.storage.shards import Version
from curation_assets.storage.warehouse import Warehouse

RECONCILIATION_CHECK = "reconciliation"
_PREVIEW_ROWS = 8
_PREVIEW_CELL_CHARS = 80
_SCHEMA = dg.TableSchema(
    columns=[dg.TableColumn(name, "BIGINT" if RECORD_DTYPES[name] == "int64" else "VARCHAR",
                            description=RECORD_COLUMN_DESCRIPTIONS[name]) for name in RECORD_COLUMNS]
)


def record_check_specs(asset_key: dg.AssetKey, suite: GxSuite, reconciled: bool = True) -> list[dg.AssetCheckSpec]:
    specs = [gx_check_spec(asset_key, suite)]
    if reconciled:
        specs.append(
            dg.AssetCheckSpec(
                name=RECONCILIATION_CHECK,
                asset=asset_key,
                blocking=True,
                description="Every record that entered the stage left it exactly once: in = out + rejected, by id.",
            )
        )
    return specs


def reconciliation_result(asset_key: dg.AssetKey, reconciliation: Reconciliation) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=RECONCILIATION_CHECK,
        passed=reconciliation.balanced,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={key: dg.MetadataValue.json(value) if isinstance(value, list) else value
                  for key, value in reconciliation.as_metadata().items()},
    )


def merge_check_results(asset_key: dg.AssetKey, name: str, results: list[dg.AssetCheckResult]) -> dg.AssetCheckResult:
    """One verdict per check for a step that covered several partitions: it passes only when it passed
    for every partition."""
    mine = [result for result in results if result.check_name == name]
    return dg.AssetCheckResult(
        asset_key=asset_key, check_name=name, passed=all(result.passed for result in mine),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"partitions_checked": len(mine), "partitions_failed": sum(not result.passed for result in mine)},
    )


def metadata_table(headers: Sequence[str], rows: Iterable[Sequence], max_cell_chars: int | None = None) -> dg.MetadataValue:
    """Rows as Dagster's table metadata (sortable columns in the UI): whole numbers and decimals keep
    their type, anything else becomes text (clipped to ``max_cell_chars``), missing values empty."""
    rows = [list(row) for row in rows]

    def kind(column: int) -> str:
        values = [row[column] for row in rows if row[column] is not None and not _missing(row[column])]
        if values and all(isinstance(value, (int, np.integer)) and not isinstance(value, bool) for value in values):
            return "int"
        if values and all(isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
                          for value in values):
            return "float"
        return "string"

    kinds = [kind(column) for column in range(len(headers))]

    def cell(value, kind_: str):
        if value is None or _missing(value):
            return None
        if kind_ == "int":
            return int(value)
        if kind_ == "float":
            return float(value)
        text = str(value)
        return text if max_cell_chars is None or len(text) <= max_cell_chars else text[: max_cell_chars - 1] + "…"

    return dg.MetadataValue.table(
        records=[dg.TableRecord({header: cell(value, kind_) for header, value, kind_ in zip(headers, row, kinds)})
                 for row in rows],
        schema=dg.TableSchema(columns=[dg.TableColumn(header, kind_) for header, kind_ in zip(headers, kinds)]))


def _missing(value) -> bool:
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def preview_table(frame: pd.DataFrame, rows: int = _PREVIEW_ROWS) -> dg.MetadataValue:
    columns = [column for column in frame.columns if column != "lineage"]
    return metadata_table(columns, frame[columns].head(rows).itertuples(index=False), _PREVIEW_CELL_CHARS)


def table_metadata(table: str, warehouse: Warehouse, records: pd.DataFrame) -> dict:
    by_source = {str(k): int(v) for k, v in records["source"].value_counts().sort_index().items()}
    return summary_metadata(table, warehouse, len(records), records.head(_PREVIEW_ROWS), by_source)


def summary_metadata(table: str, warehouse: Warehouse, rows: int, preview: pd.DataFrame,
                     by_source: dict[str, int]) -> dict:
    """A table's metadata from its summary, for tables no process holds whole (sharded stages)."""
    return {
        "dagster/row_count": rows,
        "dagster/column_schema": _SCHEMA,
        "dagster/table_name": f"main.{table}",
        "warehouse": dg.MetadataValue.path(str(warehouse.path)),
        "preview": preview_table(preview),
        "records_by_source": dg.MetadataValue.json(by_source),
    }


def rejection_metadata(stage: str, reasons: dict[str, int], published: bool) -> dict:
    return {
        "published": published,
        "rejected": sum(reasons.values()),
        "rejected_by_reason": dg.MetadataValue.json({f"{stage}:{reason}": count for reason, count in sorted(reasons.items())}),
    }


@dataclass
class StageOutput:
    """One published table of a stage and everything needed to check and report it."""

    asset_key: dg.AssetKey
    table: str
    records: pd.DataFrame
    suite: GxSuite
    reconciliation: Reconciliation | None


def publish_or_quarantine(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    table: str,
    records: pd.DataFrame,
    rejections: pd.DataFrame,
    checks: list[dg.AssetCheckResult],
    stage: str,
    source: str | None = None,
    also=None,
) -> bool:
    """Validate before write: publish only when every check passed, else quarantine (which blocks downstream).

    ``also(connection)`` writes the stage's other tables inside the publishing transaction.
    """
    passed = all(check.passed for check in checks)
    if passed:
        warehouse.publish(table, records, rejections, stage=stage, source=source, also=also)
    else:
        warehouse.quarantine(table, records, rejections)
        failed = ", ".join(check.check_name for check in checks if not check.passed)
        context.log.error(
            f"{table}: check(s) {failed} failed; nothing published. "
            f"Inspect quarantine.{table} and quarantine.{table}_rejections in {warehouse.path}."
        )
    return passed


def publish_or_quarantine_versions(context: dg.AssetExecutionContext, warehouse: Warehouse, version: Version,
                                   rejected: Version, checks: list[dg.AssetCheckResult],
                                   also_versions: Sequence[Version] = (), also=None) -> bool:
    """``publish_or_quarantine`` for a stage written shard by shard: its versions are already on disk,
    and ``also_versions`` (the stage's other tables) and ``also(connection)`` (tables it writes in the
    publishing transaction) share their verdict."""
    table = version.table
    passed = all(check.passed for check in checks)
    if passed:
        warehouse.publish_versions(version, rejected, whole_stage=True, quarantine=table, also=also,
                                   also_versions=also_versions)
        report_side_tables(context, warehouse, table)
    else:
        warehouse.quarantine_versions(table, version, rejected, also_versions=also_versions)
        failed = ", ".join(check.check_name for check in checks if not check.passed)
        quarantined = ", ".join(f"quarantine.{name}" for name in (table, f"{table}_rejections",
                                                                 *(other.table for other in also_versions)))
        context.log.error(f"{table}: check(s) {failed} failed; nothing published. Inspect {quarantined} in {warehouse.path}.")
    return passed


def stage_metadata(
    table: str, warehouse: Warehouse, records: pd.DataFrame, rejections: pd.DataFrame, stage: str, published: bool
) -> dict:
    reasons = {} if rejections.empty else {
        str(reason): int(count) for reason, count in rejections["reason"].value_counts().sort_index().items()
    }
    return {**table_metadata(table, warehouse, records), **rejection_metadata(stage, reasons, published)}


def check_and_publish(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    output: StageOutput,
    rejections: pd.DataFrame,
    stage: str,
    source: str | None = None,
    extra_metadata: dict | None = None,
    extra_checks: list[dg.AssetCheckResult] | None = None,
    also=None,
    validation: dg.AssetCheckResult | None = None,
    uses_llm: bool = False,
) -> dg.MaterializeResult:
    """``validation``: the record suite's verdict on ``output.records`` when the caller already has it;
    ``uses_llm``: the step wrote the LLM cache."""
    checks = [validation or evaluate_suite(output.asset_key, output.records, output.suite)]
    if output.reconciliation is not None:
        checks.append(reconciliation_result(output.asset_key, output.reconciliation))
    checks.extend(extra_checks or [])
    published = publish_or_quarantine(
        context, warehouse, output.table, output.records, rejections, checks, stage=stage, source=source, also=also
    )
    if published:
        report_side_tables(context, warehouse, output.table, uses_llm=uses_llm)
    metadata = {
        **stage_metadata(output.table, warehouse, output.records, rejections, stage, published),
        **(extra_metadata or {}),
    }
    return dg.MaterializeResult(asset_key=output.asset_key, metadata=metadata, check_results=checks)


EVERY_PARTITION_CHECK = "every_partition_published"


def every_partition_check_spec(asset_key: dg.AssetKey) -> dg.AssetCheckSpec:
    """A warning, not a block: a partition that fails is quarantined (or, failing to build, left as
    last published) alone, and the others flow downstream."""
    return dg.AssetCheckSpec(
        name=EVERY_PARTITION_CHECK, asset=asset_key, blocking=False,
        description="Every partition of the run passed its checks and was published. One that did not is "
                    "quarantined alone (or, if it could not be built, keeps its last published rows); the "
                    "others are published and flow downstream.")


class PartitionPublisher:
    """Checks and publishes a partitioned asset's partitions one at a time, each replacing only its own
    rows; a partition that fails a check is quarantined alone. One run may cover many partitions, and
    each succeeds or fails on its own: the step's blocking verdicts are over what it published (so one
    bad partition does not stop the others downstream; they fail only when nothing was published), and
    ``every_partition_published`` (a warning) names the partitions quarantined or failed."""

    def __init__(self, context: dg.AssetExecutionContext, warehouse: Warehouse, asset_key: dg.AssetKey,
                 suite: GxSuite, stage: str):
        self.context, self.warehouse, self.asset_key, self.suite, self.stage = context, warehouse, asset_key, suite, stage
        self.table = asset_key.path[-1]
        self.checks: list[dg.AssetCheckResult] = []  # of the published partitions
        self.published: list[str] = []
        self.quarantined: dict[str, list[str]] = {}  # partition → its failed checks
        self.failed: dict[str, str] = {}  # partition → why it could not be built

    def publish(self, key: str, records: pd.DataFrame, rejections: pd.DataFrame, reconciliation: Reconciliation,
                quarantine: str, label: str) -> bool:
        """Publish partition ``key`` when its checks pass, else keep it in ``quarantine.<quarantine>``."""
        checks = [evaluate_suite(self.asset_key, records, self.suite), reconciliation_result(self.asset_key, reconciliation)]
        published = all(check.passed for check in checks)
        if published:
            self.warehouse.publish_partition(self.table, key, records, rejections, self.stage, quarantine=quarantine)
            self.checks.extend(checks)
            self.published.append(key)
        else:
            self.warehouse.quarantine(quarantine, records, rejections)
            self.quarantined[key] = [check.check_name for check in checks if not check.passed]
            self.context.log.error(f"{label}: checks failed; quarantined as quarantine.{quarantine}; "
                                   "the other partitions go on")
        return published

    def could_not_build(self, key: str, why: str, label: str) -> None:
        """Partition ``key`` raised before it could be checked: it keeps its last published rows."""
        self.failed[key] = why
        self.context.log.error(f"{label} failed: {why}; it keeps its last published rows, the others go on")

    def result(self, keys: list[str], metadata: dict, uses_llm: bool = False) -> dg.MaterializeResult:
        """The step's result: the table metadata of partitions ``keys``, the blocking verdicts over the
        published partitions, and the warning naming the others; ``uses_llm``: the step wrote the LLM cache."""
        if self.published:
            report_side_tables(self.context, self.warehouse, self.table, uses_llm=uses_llm)
        records = self.warehouse.read_records(self.table, missing_ok=True)
        records = records[records["source"].isin(keys)]
        nothing_published = not self.published and bool(self.quarantined or self.failed)
        verdicts = [
            dg.AssetCheckResult(asset_key=self.asset_key, check_name=name, passed=False,
                                severity=dg.AssetCheckSeverity.ERROR,
                                metadata={"partitions_published": 0, "partitions_quarantined": len(self.quarantined),
                                          "partitions_failed": len(self.failed)})
            if nothing_published else merge_check_results(self.asset_key, name, self.checks)
            for name in (self.suite.check_name, RECONCILIATION_CHECK)]
        verdicts.append(dg.AssetCheckResult(
            asset_key=self.asset_key, check_name=EVERY_PARTITION_CHECK,
            passed=not self.quarantined and not self.failed, severity=dg.AssetCheckSeverity.WARN,
            metadata={"quarantined": dg.MetadataValue.json(self.quarantined),
                      "failed": dg.MetadataValue.json(self.failed), "published": len(self.published)}))
        return dg.MaterializeResult(
            metadata={**table_metadata(self.table, self.warehouse, records), **metadata},
            check_results=verdicts,
        )
