"""PNG plots for the Dagster UI and the data card, drawn with matplotlib's Agg backend (no display)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

_COLORS = {"train": "#3b6ea8", "eval": "#e08a2c"}


def _figure(width: float = 7.0, height: float = 3.2):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height), dpi=100)


def _png(figure) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.tight_layout()
    # A fixed creation date keeps the PNG bytes the same from run to run.
    figure.savefig(buffer, format="png", metadata={"Software": None, "Creation Time": None})
    plt.close(figure)
    return buffer.getvalue()


def length_histogram(histograms: dict[str, dict[int, int]], title: str, unit: str, bins: int) -> bytes:
    """Overlaid histograms of one length per split (records per length), on a log-spaced axis so
    long tails stay visible."""
    figure, axis = _figure()
    upper = max((max(histogram) for histogram in histograms.values() if histogram), default=1)
    edges = np.unique(np.geomspace(1, max(upper, 2) + 1, bins).astype(int))
    for name, histogram in histograms.items():
        if histogram:
            lengths = np.fromiter(histogram, dtype=np.int64, count=len(histogram))
            records = np.fromiter(histogram.values(), dtype=np.int64, count=len(histogram))
            axis.hist(np.maximum(lengths, 1), bins=edges, weights=records, alpha=0.6,
                      label=f"{name} (n={int(records.sum())})", color=_COLORS.get(name))
    axis.set_xscale("log")
    axis.set_xlabel(unit)
    axis.set_ylabel("records")
    axis.set_title(title)
    axis.legend()
    return _png(figure)


def horizontal_bars(values: list[tuple[str, int]], title: str, xlabel: str = "records") -> bytes:
    figure, axis = _figure(height=max(2.0, 0.32 * len(values) + 1.0))
    labels = [label if len(label) <= 50 else label[:49] + "…" for label, _ in values][::-1]
    axis.barh(labels, [count for _, count in values][::-1], color="#3b6ea8")
    axis.xaxis.get_major_locator().set_params(integer=True)  # record counts have no fractions
    axis.set_xlabel(xlabel)
    axis.set_title(title)
    return _png(figure)


def source_mix(by_source_and_kind: dict[str, dict[tuple[str, str], int]], title: str) -> bytes:
    """Records per source, over the splits given (records per (source, kind) each), stacked by kind
    (real / synthetic)."""
    figure, axis = _figure()
    total = pd.Series(dtype="int64")
    for counts in by_source_and_kind.values():
        if not counts:  # an empty split has no (source, kind) index to align with the others
            continue
        split = pd.Series(counts, dtype="int64")
        total = total.add(split, fill_value=0) if len(total) else split
    table = (total.astype("int64").unstack(fill_value=0).sort_index() if len(total)
             else pd.DataFrame(index=pd.Index([], name="source")))
    left = np.zeros(len(table))
    for kind, color in (("real", "#3b6ea8"), ("synthetic", "#c0504d")):
        if kind in table:
            axis.barh(table.index, table[kind], left=left, label=kind, color=color)
            left += table[kind].to_numpy()
    axis.set_xlabel("records")
    axis.set_title(title)
    axis.legend()
    return _png(figure)


def topic_map(points: dict[str, dict], labels: dict[int, str]) -> bytes:
    """One panel per split: each sampled record at its place on train's first two principal axes,
    coloured by topic cluster, real as dots and synthetic as crosses; each cluster's label at its centre."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(points), figsize=(6.0 * len(points), 4.6), dpi=100, squeeze=False)
    colours = plt.get_cmap("tab20")
    for axis, (split, shown) in zip(axes[0], points.items()):
        xy = np.asarray(shown["xy"], dtype=float).reshape(-1, 2)
        clusters = np.asarray(shown["cluster"], dtype=int)
        kinds = np.asarray(shown["kind"], dtype=object)
        for kind, marker in (("real", "o"), ("synthetic", "x")):
            mask = kinds == kind
            if mask.any():
                axis.scatter(xy[mask, 0], xy[mask, 1], c=[colours(c % 20) for c in clusters[mask]], marker=marker,
                             s=10, alpha=0.6, linewidths=0.8, label=kind)
        for cluster in np.unique(clusters):
            centre = xy[clusters == cluster].mean(axis=0)
            axis.annotate(labels.get(int(cluster), str(cluster)), centre, fontsize=7, ha="center")
        axis.set_title(f"Topics: {split} ({len(xy):,} records shown)")
        axis.set_xticks([])
        axis.set_yticks([])
        if len(xy):
            axis.legend(loc="lower right", fontsize=7)
    return _png(figure)
