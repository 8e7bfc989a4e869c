"""Topic coverage for the data card: the splits' records (a seeded sample of each) embedded, clustered
into topics with a short label each, and counted per split and kind (real, synthetic); a 2-D map of
the records, by topic (``plots.topic_map``).

What it shows: which topics the data covers and how much of each is synthetic, whether eval covers
the topics train does, and topics that only synthetic batches fill. Embeddings and clusters come from
``core/semantic`` (TF-IDF + SVD, mini-batch k-means), fitted on the train sample with the report's seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from curation_assets.core.semantic.clusters import cluster_labels, fit_clusters
from curation_assets.core.semantic.embed import make_embedder, frame_texts

MIN_RECORDS = 3  # fewer records in train's sample: no clusters worth drawing
MAP_POINTS = 2000  # points per split on the map



def topic_coverage(samples: dict[str, pd.DataFrame], clusters: int, seed: int, dimensions: int = 64,
                   model_path: str | None = None) -> dict:
    """``samples``: split → its sampled records (train first). The coverage table's rows, the map's points
    and what they rest on; ``{"note": ...}`` alone when train's sample is too small to cluster."""
    train = samples["train"]
    if len(train) < MIN_RECORDS:
        return {"note": f"train holds {len(train)} records: too few to cluster into topics"}
    embedder = make_embedder(frame_texts(train), dimensions, seed, model_path)
    embedded = {split: embedder.embed(frame_texts(frame)) for split, frame in samples.items()}
    fitted = fit_clusters([embedded["train"]], clusters, seed)
    assigned = {split: fitted.assign(vectors) for split, vectors in embedded.items()}
    labels = cluster_labels(frame_texts(train), assigned["train"], fitted.count)
    rows = []
    for cluster in range(fitted.count):
        row = {"cluster": cluster, "label": labels[cluster]}
        for split, frame in samples.items():
            in_cluster = assigned[split] == cluster
            for kind in ("real", "synthetic"):
                row[f"{split}_{kind}"] = int((in_cluster & (frame["kind"].to_numpy() == kind)).sum())
        rows.append(row)
    rows.sort(key=lambda row: (-row["train_real"] - row["train_synthetic"], row["cluster"]))
    # The map: the first two principal axes of train's embeddings, every split projected on them.
    centered = embedded["train"] - embedded["train"].mean(axis=0)
    axes = np.linalg.svd(centered, full_matrices=False)[2][:2] if len(centered) > 1 else np.eye(2, centered.shape[1])
    points = {}
    for split, vectors in embedded.items():
        shown = slice(0, MAP_POINTS)
        xy = (vectors[shown] - embedded["train"].mean(axis=0)) @ axes.T
        points[split] = {"xy": np.round(xy, 4).tolist(), "cluster": assigned[split][shown].tolist(),
                         "kind": samples[split]["kind"].iloc[shown].tolist()}
    return {"rows": rows, "labels": labels, "clusters": fitted.count, "requested_clusters": clusters,
            "sampled": {split: int(len(frame)) for split, frame in samples.items()},
            "embedder": embedder.fingerprint, "map": points}
