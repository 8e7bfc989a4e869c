"""The export as a Hugging Face dataset folder (``DatasetDict.save_to_disk``): ``datasets.load_from_disk``
reads it back with every split, the format's features and the record ids.

Written by Hugging Face's own ``datasets`` library from the Parquet files just exported, so the folder
is exactly what that library writes (an optional dependency: ``pip install 'curation[hf]'``). Each split
is one Arrow shard, built in memory: meant for datasets that fit in memory; the Parquet files
(``load_dataset("parquet", ...)``) serve any size.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from curation_assets.core.export.formats import FORMAT_SCHEMAS

HF_DATASET_FOLDER = "hf_dataset"


class HfDatasetError(RuntimeError):
    pass


def write_hf_dataset(parquet_files: dict[str, list[Path]], format_: str, folder: Path) -> dict[str, int]:
    """Every split's Parquet files (in order) as one dataset folder, replacing ``folder`` whole; rows per split."""
    try:
        import datasets
    except ImportError as error:
        raise HfDatasetError("export.hf_dataset needs Hugging Face's datasets library: "
                             "pip install 'curation[hf]' (or set export.hf_dataset: false)") from error
    schema = FORMAT_SCHEMAS[format_]
    splits = {}
    for split, files in parquet_files.items():
        tables = [pq.read_table(path, schema=schema) for path in files]
        splits[split] = datasets.Dataset(pa.concat_tables(tables) if tables else schema.empty_table())
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    # One shard per split, even an empty one: datasets cannot load a split saved as zero shards.
    datasets.DatasetDict(splits).save_to_disk(str(partial), num_shards={split: 1 for split in splits})
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(partial, folder)
    return {split: len(dataset) for split, dataset in splits.items()}
