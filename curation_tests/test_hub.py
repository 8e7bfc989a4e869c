"""The Hub's two ends, without the network: a dataset snapshotted with Hugging Face's own loader (here
from local data files, the same call a Hub id takes) then read as an hf_disk source; a Hub id offline is
a clear error; the export is not pushed without a token."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from curation_assets.core.load.readers import load_source
from curation_assets.core.load.settings import SourceConfig
from curation_assets.hub import SNAPSHOT_NOTE, download_dataset, push_export


def test_a_downloaded_snapshot_loads_as_an_hf_disk_source(tmp_path):
    data = tmp_path / "hub_dataset"
    data.mkdir()
    for split, count in (("train", 3), ("test", 2)):
        (data / f"{split}.jsonl").write_text("".join(json.dumps(
            {"messages": [{"role": "user", "content": f"{split} question {n}"},
                          {"role": "assistant", "content": f"{split} answer {n}"}]}) + "\n" for n in range(count)),
            encoding="utf-8")
    snapshot = tmp_path / "snapshot"
    assert download_dataset(str(data), snapshot) == {"train": 3, "test": 2}
    assert json.loads((snapshot / SNAPSHOT_NOTE).read_text())["dataset"] == str(data)

    source = SourceConfig(name="hub_chats", path=str(snapshot), format="hf_disk", split="test",
                          fields={"conversation": "messages"}, kind="real", license="MIT")
    loaded = load_source(source, snapshot)
    assert loaded.records[["instruction", "response"]].values.tolist() == [
        ["test question 0", "test answer 0"], ["test question 1", "test answer 1"]]


def test_a_hub_id_offline_is_a_clear_error_and_nothing_is_written(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    result = subprocess.run([sys.executable, "-m", "curation_assets.cli", "hf-download", "nobody/no-such-dataset",
                             str(tmp_path / "out"), "--split", "train"], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 2, result.stderr
    assert "cannot load Hugging Face dataset 'nobody/no-such-dataset'" in result.stderr
    assert "HF_HUB_OFFLINE is set" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_export_is_not_pushed_without_a_token(tmp_path, monkeypatch):
    monkeypatch.delenv("CURATION_TEST_HF_TOKEN", raising=False)
    outcome = push_export(tmp_path, "someone/dataset", "CURATION_TEST_HF_TOKEN", private=True)
    assert (outcome.pushed, outcome.detail) == (False, "not pushed to someone/dataset: $CURATION_TEST_HF_TOKEN is not set")
