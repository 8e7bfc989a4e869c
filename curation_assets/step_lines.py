"""One line per step for a person watching ``curation run``, instead of Dagster's event log.

A Dagster logger (``step_lines``, off unless a run's config turns it on: ``curation run`` does, and
quiets the console logger to warnings unless ``--verbose``) reads the structured events the run
emits: what each step materialized (rows kept, rejected by reason), which checks failed, how long
the step took, and the first line of a failure.
"""

from __future__ import annotations

import logging
import sys
from collections import defaultdict

import dagster as dg

from curation_assets.defs.side_tables import SIDE_TABLES

# Reasons shown per step: the rest are summed under "...".
SHOWN_REASONS = 3


class _Table:
    """What a step materialized of one asset, summed over its partitions."""

    def __init__(self) -> None:
        self.rows: int | None = None
        self.partitions = 0
        self.rejected: dict[str, int] = defaultdict(int)

    def add(self, materialization) -> None:
        metadata = materialization.metadata
        self.partitions += materialization.partition is not None
        if "dagster/row_count" in metadata:
            self.rows = (self.rows or 0) + int(metadata["dagster/row_count"].value)
        if "rejected_by_reason" in metadata:
            for reason, count in (metadata["rejected_by_reason"].value or {}).items():
                self.rejected[reason] += int(count)

    def line(self) -> str:
        if self.rows is None:
            return ""
        line = f"{self.rows:,} rows"
        if self.partitions > 1:
            line += f" in {self.partitions} partitions"
        if self.rejected:
            reasons = sorted(self.rejected.items(), key=lambda item: -item[1])
            shown = ", ".join(f"{reason} {count:,}" for reason, count in reasons[:SHOWN_REASONS])
            more = " ..." if len(reasons) > SHOWN_REASONS else ""
            line += f", {sum(self.rejected.values()):,} rejected ({shown}{more})"
        return line


class _StepLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self._tables: dict[str, dict[str, _Table]] = defaultdict(dict)
        self._failed_checks: dict[str, list[str]] = defaultdict(list)
        self._step_failed = False

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key")
        if event is not None and event.event_type_value == "PIPELINE_FAILURE":
            self.run_failed(event)
        if event is None or step is None:
            return
        kind = event.event_type_value
        if kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            asset = materialization.asset_key.to_user_string()
            if asset not in SIDE_TABLES:  # written beside the step's records; the step's line says what it dropped
                self._tables[step].setdefault(asset, _Table()).add(materialization)
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                self._failed_checks[step].append(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
        elif kind == "STEP_SUCCESS":
            self._print(step, f"{event.event_specific_data.duration_ms / 1000:6.1f} s", self._details(step))
        elif kind == "STEP_FAILURE":
            failed = self._failed_checks.pop(step, [])
            detail = f"failed checks: {', '.join(failed)}" if failed else _first_line(event.event_specific_data.error)
            self._print(step, "FAILED", detail)
            self._step_failed = True

    def run_failed(self, event) -> None:
        if not self._step_failed:  # a failure outside any step (a resource, the run's set-up)
            self._print("run", "FAILED", _first_line(getattr(event.event_specific_data, "error", None)))

    def _details(self, step: str) -> str:
        tables = self._tables.pop(step, {})
        named = len(tables) > 1 or any(asset != step for asset in tables)
        parts = [f"{asset}: {table.line()}" if named else table.line() for asset, table in tables.items()
                 if table.line()]
        failed = self._failed_checks.pop(step, [])
        if failed:
            parts.append(f"failed checks: {', '.join(failed)}")
        return "; ".join(parts)

    @staticmethod
    def _print(step: str, status: str, detail: str) -> None:
        print(f"  {step:<28} {status:>8}  {detail}".rstrip(), file=sys.stderr, flush=True)


def _first_line(error) -> str:
    """The first line of the outermost error not Dagster's own (its wrapper says only that a step
    failed; our SourceError says which file and why, where the pyarrow error beneath it would not),
    its exception named without its module (``SourceError: ...``)."""
    while error is not None and error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    lines = (error.message if error is not None else "").strip().splitlines()
    if not lines:
        return "failed"
    name, _, message = lines[0].partition(": ")
    return f"{name.rsplit('.', 1)[-1]}: {message}" if message and " " not in name else lines[0]


@dg.logger(config_schema={"enabled": dg.Field(bool, default_value=False)},
           description="One line per step (rows, rejections by reason, failed checks, duration): curation run's output")
def step_lines(init_context) -> logging.Logger:
    logger = logging.getLogger("curation.step_lines")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.handlers.clear()
    if init_context.logger_config["enabled"]:
        logger.addHandler(_StepLines())
    return logger
