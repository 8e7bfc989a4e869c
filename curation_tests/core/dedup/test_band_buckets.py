"""LSH buckets formed by partition of band key give the pairs ``candidate_pairs`` gives over every key
in one process, crowded buckets (where members pair with their next 64 only) and earlier records
included."""

from __future__ import annotations

import numpy as np
import pytest

from curation_assets.core.dedup.band_buckets import (
    Entries, batch_entries, batch_ref, bucket_candidates, earlier_entries, id_order, merged, universe_pairs)
from curation_assets.core.dedup.lsh import MAX_BUCKET_NEIGHBOURS, candidate_pairs


def _one_process(batch_keys, batch_eligible, earlier_keys, earlier_eligible):
    """What the batch's decision computes with every key at hand: the earlier records sharing a band
    key with an eligible batch document, then candidate pairs over the universe."""
    wanted = batch_keys[batch_eligible]
    shares = np.zeros(len(earlier_keys), bool)
    for band in range(batch_keys.shape[1]):
        shares |= np.isin(earlier_keys[:, band], wanted[:, band])
    shares &= earlier_eligible
    sharing = np.flatnonzero(shares)
    keys = np.concatenate((batch_keys, earlier_keys[sharing]))
    eligible = np.concatenate((batch_eligible, np.ones(len(sharing), bool)))
    pairs = candidate_pairs(keys, eligible)
    return pairs[pairs[:, 0] < len(batch_keys)], sharing


@pytest.mark.parametrize("partitions", [1, 3, 7])
def test_partitioned_buckets_give_the_pairs_of_one_process(partitions):
    generator = np.random.default_rng(7)
    batch, earlier, bands = 600, 400, 4
    # Few distinct keys: buckets of about 100 batch documents, crowded past MAX_BUCKET_NEIGHBOURS.
    batch_keys = generator.integers(0, 6, size=(batch, bands)).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    earlier_keys = generator.integers(0, 9, size=(earlier, bands)).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    batch_eligible = generator.random(batch) > 0.1
    earlier_eligible = generator.random(earlier) > 0.1
    ids = np.array(sorted(f"{value:020x}" for value in generator.integers(0, 1 << 62, size=batch)), dtype=object)
    shard, row = generator.integers(0, 5, size=batch), np.arange(batch)  # where each document was signed
    refs = batch_ref(shard, row)

    written = [batch_entries(batch_keys[shard == s], refs[shard == s], ids[shard == s], batch_eligible[shard == s])
               for s in range(5)]
    written += [earlier_entries(earlier_keys[:150], np.arange(150), earlier_eligible[:150]),
                earlier_entries(earlier_keys[150:], np.arange(150, earlier), earlier_eligible[150:])]

    def reduced(taking_part):
        answers = []
        for partition in range(partitions):
            mine = Entries.concatenate([part.take(np.flatnonzero(part.partition_of(partitions) == partition))
                                        for part in written])
            answers.append(bucket_candidates(mine, np.sort(refs[taking_part])))
        return merged(answers)

    expected, sharing = _one_process(batch_keys, batch_eligible, earlier_keys, earlier_eligible)
    found = reduced(np.arange(batch))
    ordinals = np.sort(-found.earlier_refs - 1)
    assert ordinals.tolist() == sharing.tolist()
    pairs = universe_pairs(found, refs, ordinals)
    assert len(pairs) > 1000 and pairs.tolist() == expected.tolist()
    # Crowded buckets paired each member with its next neighbours only: fewer pairs than all of them.
    bucket_sizes = np.unique(batch_keys[:, 0], return_counts=True)[1]
    assert bucket_sizes.max() > MAX_BUCKET_NEIGHBOURS + 1

    # A second pass over some batch documents (the kept ones) and the same earlier records.
    members = np.flatnonzero(generator.random(batch) > 0.4)
    keys = np.concatenate((batch_keys, earlier_keys[sharing]))
    eligible = np.concatenate((batch_eligible, np.ones(len(sharing), bool)))
    survivors = np.concatenate((members, batch + np.arange(len(sharing))))
    expected_again = survivors[candidate_pairs(keys[survivors], eligible[survivors])]
    expected_again = expected_again[expected_again[:, 0] < batch]
    again = universe_pairs(reduced(members), refs, ordinals)
    assert again.tolist() == expected_again.tolist()


def test_record_ids_keep_their_order_as_integers():
    ids = ["", "a", "ab", "abc", "b", "é", "0123456789abcdef0123", "0123456789abcdef0124", "z" * 24]
    order = id_order(ids)
    assert np.lexsort(order.T[::-1]).tolist() == sorted(range(len(ids)), key=lambda place: ids[place])
    with pytest.raises(ValueError, match="longer than 24 bytes"):
        id_order(["x" * 25])
