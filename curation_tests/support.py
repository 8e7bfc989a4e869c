"""Paths to the repo and the public datasets, and helpers to materialize a config and query the result."""

import os
from pathlib import Path

import dagster as dg
import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CURATION_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
DEMO_CONFIG = REPO_ROOT / "curation_assets" / "demo" / "demo.yaml"
SHARED_CONFIG = REPO_ROOT / "examples" / "shared-data.yaml"


def materialize_config(config_path: Path, raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
    """Build the definitions for ``config_path`` and materialize every asset with its checks."""
    from curation_assets.config import load_config
    from curation_assets.definitions import build_definitions

    defs = build_definitions(load_config(config_path))
    resources = {"warehouse": defs.resources["warehouse"]}
    assets = [asset for asset in defs.assets if isinstance(asset, dg.AssetsDefinition)]
    return dg.materialize(assets, resources=resources, raise_on_error=raise_on_error)


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
