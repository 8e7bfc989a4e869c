"""Paths to the repo and the public datasets, and helpers to materialize a config and query the result."""

import json
import os
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CURATION_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
DEMO_CONFIG = REPO_ROOT / "curation_assets" / "demo" / "demo.yaml"
SHARED_CONFIG = REPO_ROOT / "examples" / "shared-data.yaml"


def materialize_config(config_path: Path, raise_on_error: bool = True, instance: dg.DagsterInstance | None = None,
                       selection=None) -> dg.ExecuteInProcessResult:
    """Build the definitions for ``config_path`` and materialize every asset with its checks.

    Like ``curation run``: the config's synthetic batches are registered as partitions and one run
    covers all of them (a partition range) and every unpartitioned asset.
    """
    from curation_assets.config import load_config
    from curation_assets.definitions import build_definitions
    from curation_assets.defs.synthetic import register_batches

    config = load_config(config_path)
    defs = build_definitions(config)
    instance = instance or dg.DagsterInstance.ephemeral()
    tags = register_batches(instance, config)
    assets = [asset for asset in defs.assets if isinstance(asset, dg.AssetsDefinition)]
    return dg.materialize(assets, resources=dict(defs.resources), instance=instance, tags=tags,
                          raise_on_error=raise_on_error, selection=selection)


def query(warehouse: Path, statement: str, parameters=None):
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return connection.execute(statement, parameters or []).fetchall()
    finally:
        connection.close()


def write_config(path: Path, sources: list[dict], **sections) -> Path:
    import yaml

    path.write_text(yaml.safe_dump({"sources": sources, **sections}, sort_keys=False), encoding="utf-8")
    return path


def demo_config_dict() -> dict:
    """The demo config as a dict whose file paths are absolute, to be edited and written elsewhere."""
    import yaml

    config = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    for entry in config["sources"] + config.get("decontaminate", {}).get("benchmarks", []):
        entry["path"] = str(DEMO_CONFIG.parent / entry["path"])
    return config


def rid(index: int) -> str:
    """The record id ``make_records`` gives the row with this ``index``."""
    return f"{index:020x}"


def ids(frame) -> list[str]:
    return sorted(frame["record_id"])


CHAT_TEMPLATE = ("{{ bos_token }}{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}"
                 "{{ eos_token }}\n{% endfor %}")


def tiny_tokenizer(folder: Path, texts: list[str]) -> Path:
    """A word-level Hugging Face tokenizer trained on ``texts``, saved with a chat template: a target model's
    tokenizer for tests, made here so nothing downloads."""
    import json

    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=["[UNK]", "<s>", "</s>"]))
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(json.dumps(
        {"chat_template": CHAT_TEMPLATE, "bos_token": "<s>", "eos_token": {"content": "</s>"}}), encoding="utf-8")
    return folder


# Each pair says the same thing in other words: few shared word 5-grams, the rare words kept.
PARAPHRASES = [
    ("How do I reset the password on my home wifi router? Hold the reset button on the back of the router for "
     "ten seconds, then log in with the default admin password printed on its label and choose a new one.",
     "My home router's wifi password is forgotten; what is the way to reset it? Press and keep holding the "
     "router's small reset button roughly ten seconds, sign in with the admin password from the label and pick "
     "a new one."),
    ("Explain why volcanoes erupt. Magma below the crust is lighter than the rock around it, so it rises; gas "
     "dissolved in the magma expands as pressure drops, and when the pressure beats the rock above, the volcano "
     "erupts.",
     "Why do volcanoes erupt? Because magma under the crust is less dense than surrounding rock it rises, its "
     "dissolved gas expands while the pressure falls, and once that pressure exceeds the rock on top an "
     "eruption happens."),
    ("Give tips for a first marathon. Build weekly mileage slowly over four months, do one long run each "
     "week, practise drinking and eating gels on those runs, taper for two weeks, and start the race slower "
     "than feels natural.",
     "What should a first-time marathon runner do? Increase the weekly mileage gradually across four months, "
     "run long once a week, rehearse drinking and taking gels while doing it, taper the final two weeks and "
     "begin the race at a slower pace than feels natural."),
]


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_yaml(path: Path, config: dict) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@contextmanager
def warehouse_in(folder: Path):
    """Warehouse, exports and inbox of the runs inside the block in ``folder``."""
    import pytest

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CURATION_WAREHOUSE", str(folder / "warehouse.duckdb"))
        patch.setenv("CURATION_OUTPUT_DIR", str(folder / "exports"))
        patch.setenv("CURATION_INBOX", str(folder / "inbox"))
        yield


def assert_balanced(loaded) -> None:
    """Nothing vanishes: every record the file holds is kept or quarantined."""
    assert loaded.records_in == len(loaded.records) + len(loaded.rejections)


def assert_canonical(loaded) -> None:
    from curation_assets.core.records import RECORD_COLUMNS, RECORD_DTYPES, REJECTION_COLUMNS

    assert tuple(loaded.records.columns) == RECORD_COLUMNS
    assert {column: str(dtype) for column, dtype in loaded.records.dtypes.items()} == RECORD_DTYPES
    assert tuple(loaded.rejections.columns) == REJECTION_COLUMNS
