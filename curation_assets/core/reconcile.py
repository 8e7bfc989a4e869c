"""Reconciliation: every record that enters a stage leaves it exactly once, kept or rejected."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Reconciliation:
    records_in: int
    records_out: int
    records_rejected: int
    missing_ids: list[str] = field(default_factory=list)  # entered, neither kept nor rejected
    unexpected_ids: list[str] = field(default_factory=list)  # left, never entered
    repeated_ids: list[str] = field(default_factory=list)  # left more than once

    @property
    def balanced(self) -> bool:
        return (
            self.records_in == self.records_out + self.records_rejected
            and not self.missing_ids
            and not self.unexpected_ids
            and not self.repeated_ids
        )

    def as_metadata(self) -> dict:
        return {
            "records_in": self.records_in,
            "records_out": self.records_out,
            "records_rejected": self.records_rejected,
            "missing_ids": self.missing_ids[:10],
            "unexpected_ids": self.unexpected_ids[:10],
            "repeated_ids": self.repeated_ids[:10],
        }


def reconcile_ids(ids_in: pd.Series, ids_out: pd.Series, ids_rejected: pd.Series) -> Reconciliation:
    """Compare record ids, not only counts, so a stage that drops one record and duplicates another fails."""
    leaving = pd.concat([ids_out, ids_rejected], ignore_index=True)
    entering = set(ids_in)
    left = set(leaving)
    return Reconciliation(
        records_in=len(ids_in),
        records_out=len(ids_out),
        records_rejected=len(ids_rejected),
        missing_ids=sorted(entering - left),
        unexpected_ids=sorted(left - entering),
        repeated_ids=sorted(leaving[leaving.duplicated()].unique()),
    )


def reconcile_counts(records_in: int, records_out: int, records_rejected: int) -> Reconciliation:
    """For loading, where nothing has an id before it is read: the file's record count must balance."""
    return Reconciliation(records_in, records_out, records_rejected)
