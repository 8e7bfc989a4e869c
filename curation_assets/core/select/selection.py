"""The best records for a budget (LIMA's lesson: a small, curated set beats a large noisy one).

Each record gets a quality score (weighted measures, ``QualityWeights``). Each domain gets a quota of
the budget from its target share (largest remainders; a domain with fewer records than its quota gives
them all and the rest goes to the others in proportion). Within a domain, records are taken best score
first (ties by record id), skipping a record whose topic cluster already holds ``max_cluster_share`` of
the domain's quota, and then, if the quota is still not met, the skipped ones in the same order. Every
record of train gets a row: selected, or why not (``below_quota``: a better record filled its domain's
quota; ``cluster_cap``: its topic held enough; ``over_budget``: its domain's quota was met).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from curation_assets.core.select.settings import SelectionConfig

SELECTION_COLUMNS = ["record_id", "source", "domain", "cluster", "score", "size", "selected", "reason", "rank"]
_WORD = re.compile(r"\w+")


def quality_scores(frame: pd.DataFrame, judge_scores: pd.Series, settings: SelectionConfig) -> np.ndarray:
    """Per record, the weighted mean of its measures (0-1). ``judge_scores``: 1-5, NaN when never judged."""
    weights = settings.weights
    words = [_WORD.findall(text.lower()) for text in frame["response"].fillna("")]
    measures = {
        "judge": np.where(judge_scores.isna(), settings.unjudged_score, (judge_scores.fillna(1) - 1) / 4),
        "length": np.minimum(np.array([len(w) for w in words], dtype=float) / settings.target_words, 1.0),
        "real": (frame["kind"] == "real").to_numpy(dtype=float),
        "unrepeated": np.array([len(set(w)) / len(w) if w else 0.0 for w in words]),
    }
    total = sum(getattr(weights, name) for name in measures) or 1.0
    return np.round(sum(getattr(weights, name) * values for name, values in measures.items()) / total, 6)


def domain_quotas(available: dict[str, int], targets: dict[str, float], budget: int) -> dict[str, int]:
    """Records per domain: the targets' shares of the budget by largest remainders, capped by what each
    domain has, the shortfall handed to the others in proportion to their targets."""
    quotas = {domain: 0 for domain in available}
    remaining = min(budget, sum(available.values()))
    open_domains = {domain for domain in available if available[domain] > 0 and targets.get(domain, 0) > 0}
    while remaining > 0 and open_domains:
        shares = {domain: targets[domain] for domain in open_domains}
        total = sum(shares.values())
        exact = {domain: remaining * share / total for domain, share in shares.items()}
        floors = {domain: int(math.floor(value)) for domain, value in exact.items()}
        leftover = remaining - sum(floors.values())
        for domain in sorted(exact, key=lambda d: (-(exact[d] - floors[d]), d))[:leftover]:
            floors[domain] += 1
        handed = 0
        for domain, extra in floors.items():
            granted = min(extra, available[domain] - quotas[domain])
            quotas[domain] += granted
            handed += granted
            if quotas[domain] >= available[domain]:
                open_domains.discard(domain)
        remaining -= handed
        if handed == 0:
            break
    return quotas


@dataclass
class Selection:
    rows: pd.DataFrame  # SELECTION_COLUMNS for every record
    quotas: dict[str, int]
    targets: dict[str, float]
    notes: list[str]

    def achieved(self) -> dict[str, float]:
        """Each domain's share of the selection, in what the budget counts (records or tokens)."""
        chosen = self.rows[self.rows["selected"]]
        total = int(chosen["size"].sum())
        return {domain: round(float(chosen.loc[chosen["domain"] == domain, "size"].sum()) / total, 4) if total else 0.0
                for domain in sorted(self.quotas)}


def select(records: pd.DataFrame, domains: pd.Series, clusters: np.ndarray, scores: np.ndarray,
           settings: SelectionConfig, targets: dict[str, float], tokens: np.ndarray | None = None) -> Selection:
    """``records``: record_id and source per record; ``domains``, ``clusters``, ``scores`` (and, for a budget
    in tokens, each record's ``tokens``) aligned with it. Quotas, caps and shares count what the budget
    counts: records (``size`` 1) or tokens."""
    size = np.ones(len(records), dtype=np.int64) if tokens is None else np.asarray(tokens, dtype=np.int64)
    budget, unit = (settings.budget, "records") if tokens is None else (settings.budget_tokens, "tokens")
    frame = pd.DataFrame({"record_id": records["record_id"].to_numpy(), "source": records["source"].to_numpy(),
                          "domain": domains.to_numpy(dtype=object), "cluster": np.asarray(clusters, dtype=np.int32),
                          "score": scores, "size": size})
    notes = []
    available = {domain: int(total) for domain, total in frame.groupby("domain")["size"].sum().items()}
    if not targets:
        whole = sum(available.values())
        targets = {domain: total / whole for domain, total in available.items()} if whole else {}
        notes.append(f"no domain targets: each domain's share of train's {unit}")
    missing = sorted(set(targets) - set(available))
    if missing:
        notes.append(f"no records of target domain(s) {', '.join(missing)}: their share goes to the others")
    if budget >= sum(available.values()):
        notes.append(f"budget {budget:,} ≥ train's {sum(available.values()):,} {unit}: every record selected")
    quotas = domain_quotas(available, targets, budget)
    frame["selected"] = False
    frame["reason"] = None
    frame["rank"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    for domain in sorted(quotas):
        quota = quotas[domain]
        members = frame.index[frame["domain"] == domain]
        ordered = frame.loc[members].sort_values(["score", "record_id"], ascending=[False, True], kind="mergesort").index
        if quota == 0:
            frame.loc[ordered, "reason"] = "over_budget" if targets.get(domain, 0) > 0 else "domain_not_targeted"
            continue
        cap = max(1, math.ceil(settings.max_cluster_share * quota))
        per_cluster: dict[int, int] = {}
        chosen, skipped, used = [], [], 0
        for index in ordered:
            if used >= quota:
                break
            cluster, units = int(frame.at[index, "cluster"]), int(frame.at[index, "size"])
            if used + units > quota:
                continue  # does not fit what is left of the quota: a smaller record may
            if per_cluster.get(cluster, 0) and per_cluster[cluster] + units > cap:
                skipped.append(index)
                continue
            per_cluster[cluster] = per_cluster.get(cluster, 0) + units
            chosen.append(index)
            used += units
        refill = []
        for index in skipped:  # the caps left the quota short: the best of the skipped fill it
            units = int(frame.at[index, "size"])
            if used + units <= quota:
                refill.append(index)
                used += units
        if refill:
            chosen.extend(refill)
            notes.append(f"domain {domain!r}: cluster caps relaxed for {len(refill)} record(s) to meet its quota")
            skipped = [index for index in skipped if index not in set(refill)]
        frame.loc[chosen, "selected"] = True
        frame.loc[skipped, "reason"] = "cluster_cap"
        decided = set(chosen) | set(skipped)
        frame.loc[[index for index in ordered if index not in decided], "reason"] = "below_quota"
    # rank: the selected records best first, so the first n of them are the best n (a ladder's rungs)
    picked = frame[frame["selected"]].sort_values(["score", "record_id"], ascending=[False, True], kind="mergesort")
    frame.loc[picked.index, "rank"] = np.arange(1, len(picked) + 1)
    return Selection(frame.loc[:, SELECTION_COLUMNS], quotas, targets, notes)
