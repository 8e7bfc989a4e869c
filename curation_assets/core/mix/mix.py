"""mix: real records plus verified synthetic ones, under caps; what the caps exclude is rejected.

Real records are never dropped here: caps limit only how much synthetic data joins them. Synthetic
records are admitted one at a time, always into the domain furthest below its target share, and
only while (a) the synthetic fraction of the mix stays within ``max_synthetic_fraction`` and (b)
the domain stays within its target share. Within a domain, records go in config order (sources,
then batches), then by position, so the rule is predictable. Excluded records are rejected with
``synthetic_cap`` or ``domain_cap`` and the numbers that decided it.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Callable

import pandas as pd

from curation_assets.core.mix.settings import MixConfig
from curation_assets.core.records import as_records, as_rejections, empty_rejections
from curation_assets.core.stage_result import StageResult

STAGE = "mix"
REPORT_COLUMNS = ("domain", "target_share", "achieved_share", "real_records", "synthetic_available",
                  "synthetic_admitted", "records")


MIX_COLUMNS = ["record_id", "source", "kind", "source_position"]  # all the mix decides by: no text


def mix_records(records: pd.DataFrame, settings: MixConfig, domain_of: Callable[[str], str],
                source_rank: Callable[[str], int], domains: pd.Series | None = None) -> tuple[StageResult, pd.DataFrame]:
    """The mix of ``records``: what it keeps and rejects, and the achieved mix against the target."""
    dropped, report = mix_decisions(records, settings, domain_of, source_rank, domains)
    excluded = records.index.isin(dropped.index)
    kept = as_records(records[~excluded].sort_values("record_id", kind="mergesort"))
    rejections = as_rejections(records.loc[dropped.index].assign(reason=dropped["reason"], detail=dropped["detail"]),
                               STAGE) if len(dropped) else empty_rejections(STAGE)
    return StageResult(kept, rejections), report


def mix_decisions(records: pd.DataFrame, settings: MixConfig, domain_of: Callable[[str], str],
                  source_rank: Callable[[str], int], domains: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The records the caps exclude (``records``' rows, ``MIX_COLUMNS`` are enough, with ``reason`` and
    ``detail``), and the report. ``domains``: each record's own domain (``records``' index), else its source's."""
    domains = records["source"].map(domain_of) if domains is None else domains.reindex(records.index)
    real = records["kind"] != "synthetic"
    counts: Counter = Counter(domains[real])
    targets = settings.domain_targets
    synthetic = records[~real].assign(
        _domain=domains[~real], _rank=records.loc[~real, "source"].map(source_rank)
    ).sort_values(["_rank", "source_position", "record_id"], kind="mergesort")
    queues = {domain: deque(group.index) for domain, group in synthetic.groupby("_domain", sort=True)}
    available = {domain: len(queue) for domain, queue in queues.items()}
    order = sorted(queues, key=lambda d: (list(targets).index(d) if d in targets else len(targets), d))

    total, admitted_total = int(real.sum()), 0
    admitted: list = []
    cap = settings.max_synthetic_fraction
    while True:
        # The fraction cap: one more synthetic record keeps synthetic / total within the cap.
        if admitted_total + 1 > cap * (total + 1) + 1e-9:
            break
        best, best_deficit = None, 0.0
        for domain in order:
            if not queues[domain]:
                continue
            if targets:
                deficit = targets.get(domain, 0.0) * (total + 1) - (counts[domain] + 1)
            else:  # no targets: admit in proportion to what each domain offers
                deficit = 1.0 - (available[domain] - len(queues[domain])) / available[domain]
            if deficit > -1e-9 and (best is None or deficit > best_deficit + 1e-12):
                best, best_deficit = domain, deficit
        if best is None:
            break
        admitted.append(queues[best].popleft())
        counts[best] += 1
        total += 1
        admitted_total += 1

    excluded = [index for domain in order for index in queues[domain]]
    fraction_bound = admitted_total + 1 > cap * (total + 1) + 1e-9
    details, reasons = [], []
    for index in excluded:
        domain = synthetic.at[index, "_domain"]
        share = counts[domain] / total if total else 0.0
        domain_full = bool(targets) and targets.get(domain, 0.0) * (total + 1) < counts[domain] + 1 - 1e-9
        if domain_full or not fraction_bound:
            reasons.append("domain_cap")
            details.append(f"domain {domain!r} at {counts[domain]}/{total} = {share:.3f} of the mix; "
                           f"target {targets.get(domain, 0.0):.3f}")
        else:
            reasons.append("synthetic_cap")
            details.append(f"synthetic records at {admitted_total}/{total} = {admitted_total / total:.3f} of the mix; "
                           f"max_synthetic_fraction {cap:.3f}")
    dropped = records.loc[excluded].assign(reason=pd.Series(reasons, index=excluded, dtype=object),
                                           detail=pd.Series(details, index=excluded, dtype=object))

    real_by_domain = Counter(domains[real])
    admitted_by_domain = Counter(synthetic.loc[admitted, "_domain"])
    all_domains = sorted(set(real_by_domain) | set(available) | set(targets))
    report = pd.DataFrame([
        {
            "domain": domain,
            "target_share": targets.get(domain) if targets else None,
            "achieved_share": round(counts[domain] / total, 4) if total else 0.0,
            "real_records": real_by_domain[domain],
            "synthetic_available": available.get(domain, 0),
            "synthetic_admitted": admitted_by_domain[domain],
            "records": counts[domain],
        }
        for domain in all_domains
    ], columns=list(REPORT_COLUMNS))
    return dropped, report
