"""The Hugging Face Hub at the pipeline's two ends, when the network allows: a dataset downloaded once
into a local ``save_to_disk`` folder that a source reads (``format: hf_disk``), and the export folder
pushed to a dataset repository.

A Hub dataset is snapshotted, not read live by the load step: the run then reads a fixed local copy
(its files hashed like any source's, the run reproducible offline), and the snapshot's id, revision
and split are written beside it (``curation_source.json``) for the lineage. Both need the optional
``datasets`` / ``huggingface_hub`` libraries (``pip install 'curation[hf]'``).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

SNAPSHOT_NOTE = "curation_source.json"
PUSH_IGNORED = ["ladder/*", "plots/*", "*.partial", "*.partial/*"]


class HubError(RuntimeError):
    """The Hub could not be reached or the dataset not found: the message says which and what to do."""


def download_dataset(dataset_id: str, folder: Path, split: str | None = None, name: str | None = None,
                     revision: str | None = None) -> dict[str, int]:
    """``dataset_id`` (a Hub id, or a local folder of data files) saved into ``folder`` with
    ``save_to_disk``, replacing it whole; rows per split."""
    try:
        import datasets
    except ImportError as error:
        raise HubError("downloading a Hugging Face dataset needs the datasets library: pip install 'curation[hf]'") from error
    try:
        loaded = datasets.load_dataset(dataset_id, name=name, split=split, revision=revision)
    except Exception as error:  # the library raises many types: connection, not found, gated, bad config
        offline = os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("HF_DATASETS_OFFLINE") == "1"
        hint = (" (HF_HUB_OFFLINE is set: only datasets already in the local cache can be read)" if offline
                else " (is the network reachable, the id right, and for a gated dataset HF_TOKEN set?)")
        raise HubError(f"cannot load Hugging Face dataset {dataset_id!r}: {type(error).__name__}: "
                       f"{str(error).splitlines()[0] if str(error) else ''}{hint}") from error
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    loaded.save_to_disk(str(partial))
    splits = {split or "train": len(loaded)} if isinstance(loaded, datasets.Dataset) else {
        key: len(value) for key, value in loaded.items()}
    (partial / SNAPSHOT_NOTE).write_text(json.dumps(
        {"dataset": dataset_id, "name": name, "split": split, "revision": revision, "rows": splits,
         "datasets_version": datasets.__version__}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(partial, folder)
    return splits


@dataclass(frozen=True)
class PushOutcome:
    pushed: bool
    detail: str


def push_export(output_dir: Path, repo_id: str, token_env: str, private: bool) -> PushOutcome:
    """The export folder (files, Parquet, manifest, README.md card) uploaded to dataset repo ``repo_id``
    when ``$token_env`` holds a token; without one, nothing is sent and the outcome says so."""
    token = os.environ.get(token_env)
    if not token:
        return PushOutcome(False, f"not pushed to {repo_id}: ${token_env} is not set")
    try:
        from huggingface_hub import HfApi
    except ImportError as error:
        raise HubError("export.hub needs huggingface_hub: pip install 'curation[hf]'") from error
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(folder_path=str(output_dir), repo_id=repo_id, repo_type="dataset",
                                   ignore_patterns=PUSH_IGNORED, commit_message="curation export")
    except Exception as error:
        raise HubError(f"pushing the export to {repo_id} failed: {type(error).__name__}: {error}") from error
    return PushOutcome(True, f"pushed to https://huggingface.co/datasets/{repo_id} ({getattr(commit, 'oid', commit)})")
