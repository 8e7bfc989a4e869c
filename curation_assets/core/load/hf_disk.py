"""A Hugging Face dataset on disk as a source, read with pyarrow alone (no ``datasets`` needed).

``Dataset.save_to_disk`` writes a folder of Arrow IPC stream files named in its ``state.json``
(``data-00000-of-00001.arrow``, ...); ``DatasetDict.save_to_disk`` writes one such folder per split
beside a ``dataset_dict.json``. The Hub cache's ``.arrow`` files are the same stream format. So a
source of format ``hf_disk`` is one of: a dataset folder, a dataset-dict folder with the source's
``split``, or a single ``.arrow`` file.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pyarrow as pa


class HfDiskError(ValueError):
    """The path is not a readable dataset (the message says why and what to set)."""


def hf_disk_table(path: Path, split: str | None) -> pa.Table:
    """Every row of the dataset at ``path`` (its ``split`` for a dataset-dict folder), in order."""
    if path.is_file():
        return _read_stream(path)
    folder = _split_folder(path, split)
    state = folder / "state.json"
    if not state.is_file():
        raise HfDiskError("not a Hugging Face dataset folder: no state.json (written by Dataset.save_to_disk) "
                          "and no dataset_dict.json")
    try:
        files = [folder / entry["filename"] for entry in json.loads(state.read_text(encoding="utf-8"))["_data_files"]]
    except (ValueError, KeyError, TypeError) as error:
        raise HfDiskError(f"state.json does not list the data files: {error}") from error
    if not files:
        raise HfDiskError("state.json lists no data files")
    tables = [_read_stream(file) for file in files]
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def _split_folder(path: Path, split: str | None) -> Path:
    listing = path / "dataset_dict.json"
    if not listing.is_file():
        return path
    try:
        splits = list(json.loads(listing.read_text(encoding="utf-8"))["splits"])
    except (ValueError, KeyError, TypeError) as error:
        raise HfDiskError(f"dataset_dict.json does not list the splits: {error}") from error
    if split is None:
        raise HfDiskError(f"a dataset-dict folder with splits {', '.join(splits)}: set the source's 'split'")
    if split not in splits:
        close = difflib.get_close_matches(split, splits, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise HfDiskError(f"no split '{split}' (the folder has {', '.join(splits)}){hint}")
    return path / split


def _read_stream(file: Path) -> pa.Table:
    try:
        with pa.memory_map(str(file)) as source:
            return pa.ipc.open_stream(source).read_all()
    except (pa.ArrowInvalid, OSError) as error:
        raise HfDiskError(f"{file.name} is not a readable Arrow stream file: {error}") from error
