"""Signatures put aside on disk shard by shard come back exactly, for any positions asked, in order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from curation_assets.core.dedup.spilled import SPILL_COLUMNS, SpilledSignatures, spill


def test_spilled_signatures_read_back_equal_the_array(tmp_path):
    rng = np.random.default_rng(0)
    sizes = [20_000, 3, 9_000]  # several row groups, a tiny shard
    signatures = [rng.integers(0, 2**32, size=(size, 16), dtype=np.uint32) for size in sizes]
    files, shard, shard_row = {}, [], []
    for index, (size, values) in enumerate(zip(sizes, signatures)):
        rows = pd.DataFrame({column: [f"{column}-{index}-{row}" for row in range(size)] for column in SPILL_COLUMNS[:-1]})
        files[index] = tmp_path / f"signatures-{index}.parquet"
        spill(rows, values, files[index])
        shard.append(np.full(size, index))
        shard_row.append(np.arange(size))
    whole = np.concatenate(signatures)
    order = rng.permutation(len(whole))  # batch positions in another order than the shards'
    spilled = SpilledSignatures(files, np.concatenate(shard)[order], np.concatenate(shard_row)[order], 16)
    expected = whole[order]
    assert spilled.shape == expected.shape and len(spilled) == len(expected)

    asked = rng.integers(0, len(whole), size=5000)  # unsorted, with repeats
    assert np.array_equal(spilled[asked], expected[asked])
    spilled.prefetch(np.arange(100))
    assert np.array_equal(spilled[np.arange(len(whole))[::-1]], expected[::-1])
    assert spilled[np.zeros(0, dtype=np.int64)].shape == (0, 16)
