"""Dedup as map, decide, apply: shards signed on two workers and decided over their slim rows, texts
read back from the Parquet shards, give the verdicts of deduplicating the whole batch in memory."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.fs as pafs
import pytest

from curation_assets.config import PipelineConfig
from curation_assets.core.load.settings import SourceConfig
from curation_assets.core.dedup.batch import bands_of, combine, sign_records
from curation_assets.core.dedup.earlier import FrameHistory
from curation_assets.core.dedup.spilled import SpilledSignatures
from curation_assets.core.dedup.settings import DedupConfig
from curation_assets.core.dedup.stage import decide, deduplicate
from curation_assets.core.located import LOCATION_COLUMNS
from curation_assets.engine.band_shuffle import BandShuffle, ShuffledIndex, SignAndShuffle
from curation_assets.engine.decided_stage import (ShardTexts, _read_range, apply_decisions, map_shards, range_payloads,
                                                  read_columns)
from curation_assets.storage.shards import RECORD_SCHEMA, SCRATCH, ShardSize, ShardStore

def _pipeline(dedup: DedupConfig) -> PipelineConfig:
    """A pipeline config (what a map task receives; spawned workers unpickle it) with these dedup settings."""
    source = SourceConfig(name="toolformer", path="toolformer.jsonl", format="jsonl", kind="synthetic", license="MIT",
                          fields={"instruction": "instruction", "response": "output"})
    return PipelineConfig(sources=[source], dedup=dedup)


@pytest.fixture
def toolformer(make_records, shared_data) -> pd.DataFrame:
    """The GPT-4-written Toolformer records (templated preambles, near-duplicates), with some planted
    exact copies and conflicting answers, so that every dedup pass has something to decide."""
    path = shared_data / "gpteacher_toolformer.json"
    rows = [dict(instruction=item["instruction"], input=item["input"], response=item["output"])
            for item in json.loads(path.read_text())[:1500]]
    rows += [dict(rows[i]) for i in range(0, 300, 7)]  # exact copies
    rows += [dict(rows[i], response="A different answer entirely, one that shares nothing.") for i in range(1, 300, 11)]
    return make_records(*(dict(row, index=(place * 7919) % 10007) for place, row in enumerate(rows)))


def _write_shards(store: ShardStore, frame: pd.DataFrame, size: int) -> list[tuple[str, ...]]:
    store.filesystem.create_dir(store.root_uri.rstrip("/"))
    groups = []
    for index, start in enumerate(range(0, len(frame), size)):
        path = store.root_uri.rstrip("/") + f"/part-{index:05d}.parquet"
        store.write_part(path, frame.iloc[start : start + size].sort_values("record_id"), RECORD_SCHEMA)
        groups.append((path,))
    return groups


def _decided_on_shards(frame: pd.DataFrame, settings: DedupConfig, store: ShardStore, local_scratch, history=None,
                       partitions: int = 3):
    """The sharded stage's decision: shards signed on two workers, band keys shuffled to ``partitions``
    reducers, decided over the slim rows."""
    groups = _write_shards(store, frame, size=400)  # unsorted across shards: the batch is ordered by id
    local_scratch.mkdir()
    with store.scratch_folder("dedup") as folder:
        shuffle = BandShuffle(store.root_uri, folder, partitions)
        signed = map_shards(SignAndShuffle(shuffle), groups, _pipeline(settings), store.root_uri, workers=2)
        batch = combine(signed, settings.near_duplicates.num_perm, bands_of(settings)[0], store)
        assert batch.band_keys is None  # the deciding process never held them, nor the signatures
        assert isinstance(batch.signatures, SpilledSignatures)
        assert sorted(batch.signatures.files.values()) == [shuffle.signature_file(index) for index in range(len(groups))]
        files = [shuffle.batch_file(index) for index in range(len(groups))]

        def shuffled(records, earlier, bands):
            return ShuffledIndex(shuffle, files, records, earlier, bands, settings.near_duplicates.num_perm, 2,
                                 local_scratch)

        decision = decide(batch, ShardTexts(groups, store.root_uri), settings, lambda source: 0, history,
                          index_factory=shuffled)
        kept_signatures = decision.kept_signatures  # read back while the scratch folder lives
    left = store.filesystem.get_file_info(pafs.FileSelector(f"{store.root}/{SCRATCH}", allow_not_found=True))
    assert left == []  # the step's scratch files are gone
    return groups, batch, decision, kept_signatures


def test_shards_signed_on_two_workers_and_decided_together_match_the_whole_batch(toolformer, tmp_path):
    settings = DedupConfig()
    whole = deduplicate(toolformer.sort_values("record_id").reset_index(drop=True), settings, lambda source: 0)
    assert {"exact_duplicate", "near_duplicate", "conflicting_response"} <= set(whole.result.rejected["reason"])

    store = ShardStore(str(tmp_path / "shards"), ShardSize())
    groups, batch, decision, kept_signatures = _decided_on_shards(toolformer, settings, store, tmp_path / "scratch")

    expected = whole.result.rejected.loc[:, ["record_id", "reason", "detail"]].sort_values("record_id")
    assert decision.rejected.loc[:, ["record_id", "reason", "detail"]].astype(str).values.tolist() == \
        expected.astype(str).values.tolist()
    assert decision.kept["record_id"].tolist() == whole.result.kept["record_id"].tolist()
    assert decision.near.stats == whole.near.stats and decision.near.stats["candidate_pairs"] > 100
    assert decision.clusters.astype(str).values.tolist() == whole.clusters.astype(str).values.tolist()
    assert len(decision.clusters) and len(decision.conflicts)
    assert decision.conflicts.astype(str).values.tolist() == whole.conflicts.astype(str).values.tolist()
    # The history rows hold the same keys and signatures (the sharded stage reads their texts back;
    # the signatures come back from the spill files).
    history = whole.history_rows.set_index("record_id")
    signatures = [row.astype("<u4").tobytes() for row in kept_signatures]
    assert signatures == history.loc[decision.kept["record_id"], "signature"].tolist()

    # The shuffle: ranges of record ids, each read from every shard, hold 300 kept records each, in
    # record-id order across tasks, and account for every record once.
    payloads = range_payloads(batch.rows, decision.rejected, groups, "dedup", kept_per_shard=300)
    results = [apply_decisions(_read_range(store, _Task(payload)), "dedup", payload.decisions) for payload in payloads]
    kept = [sorted(result.kept["record_id"]) for result in results]  # each shard is written in id order
    assert [len(part) for part in kept[:-1]] == [300] * (len(kept) - 1) and 0 < len(kept[-1]) <= 300
    assert sum(kept, []) == whole.result.kept["record_id"].tolist()
    rejected = pd.concat([result.rejected for result in results]).sort_values("record_id")
    assert sum(len(part) for part in kept) + len(rejected) == len(toolformer)
    assert rejected["detail"].tolist() == expected["detail"].tolist()


class _Task:
    def __init__(self, payload) -> None:
        self.payload = payload


def test_texts_are_read_back_by_location_from_the_shards(make_records, tmp_path):
    frame = make_records(*(dict(instruction=f"question {i}", response=f"answer {i}") for i in range(25)))
    store = ShardStore(str(tmp_path / "shards"), ShardSize())
    groups = _write_shards(store, frame, size=10)
    slim = read_columns(store, groups, ["record_id"])
    assert slim.loc[:, LOCATION_COLUMNS].values.tolist() == [[i // 10, i % 10] for i in range(25)]
    wanted = slim.iloc[[24, 3, 13, 3]]
    texts = ShardTexts(groups, store.root_uri).columns(wanted.loc[:, LOCATION_COLUMNS], ["instruction", "response"])
    assert texts["instruction"].tolist() == ["question 24", "question 3", "question 13", "question 3"]
    # A batch signed in memory reads its own texts the same way.
    assert len(sign_records(frame, DedupConfig())) == 25


def test_a_shard_with_no_decisions_keeps_every_record(make_records):
    frame = make_records(dict(instruction="q", response="a"), dict(instruction="q2", response="a2"))
    untyped = pd.DataFrame({"record_id": [], "reason": [], "detail": []})  # a decision that rejected nothing
    result = apply_decisions(frame, "dedup", untyped)
    assert result.kept["record_id"].tolist() == frame["record_id"].tolist() and result.rejected.empty
    decided = apply_decisions(frame, "dedup", pd.DataFrame(
        {"record_id": [frame["record_id"][1]], "reason": ["exact_duplicate"], "detail": ["duplicate of x"]}))
    assert decided.rejected[["record_id", "reason", "stage"]].values.tolist() == \
        [[frame["record_id"][1], "exact_duplicate", "dedup"]]


def test_a_batch_decided_on_shards_against_earlier_records_matches_the_whole_batch(toolformer, tmp_path):
    """Earlier runs' records take part through the shuffle too: their band keys are written as the
    history is streamed, and the reducers say which of them the batch meets."""
    settings = DedupConfig()
    ordered = toolformer.sort_values("record_id").reset_index(drop=True)
    first = deduplicate(ordered.iloc[::2].reset_index(drop=True), settings, lambda source: 0)
    history = first.history_rows
    # The second batch: the other half, and some records of the first again (the history rows of a
    # batch's own records play no part).
    second = pd.concat([ordered.iloc[1::2], ordered.iloc[0:200:10]]).sort_values("record_id").reset_index(drop=True)
    whole = deduplicate(second, settings, lambda source: 0, FrameHistory(history))
    assert whole.near.stats["history_records_sharing_a_band"] > 50
    assert "(published by an earlier run)" in " ".join(whole.result.rejected["detail"])

    store = ShardStore(str(tmp_path / "shards"), ShardSize())
    _, _, decision, _ = _decided_on_shards(second, settings, store, tmp_path / "scratch", FrameHistory(history),
                                        partitions=5)
    assert decision.near.stats == whole.near.stats
    expected = whole.result.rejected.loc[:, ["record_id", "reason", "detail"]].sort_values("record_id")
    assert decision.rejected.loc[:, ["record_id", "reason", "detail"]].astype(str).values.tolist() == \
        expected.astype(str).values.tolist()
    assert decision.clusters.astype(str).values.tolist() == whole.clusters.astype(str).values.tolist()
    assert decision.near.pairs.astype(str).values.tolist() == whole.near.pairs.astype(str).values.tolist()
