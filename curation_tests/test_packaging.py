"""The wheel's contents as pyproject declares them: every package listed, every file read at run time shipped.

Building and installing the wheel is `.ci/run`'s job (minutes); this checks the declaration in milliseconds.
"""

import tomllib

from support import REPO_ROOT


def _setuptools() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_in_the_source_tree_is_listed_and_sql_ships_as_a_subpackage():
    on_disk = {".".join(init.parent.relative_to(REPO_ROOT).parts) for init in (REPO_ROOT / "curation_assets").rglob("__init__.py")}
    assert set(_setuptools()["packages"]) == on_disk | {"curation_assets.sql"}
    assert _setuptools()["package-dir"] == {"curation_assets.sql": "sql"}


def test_every_data_file_the_package_reads_matches_a_package_data_pattern():
    package_data = _setuptools()["package-data"]
    shipped = {path for pattern in package_data["curation_assets"] for path in (REPO_ROOT / "curation_assets").glob(pattern)}
    shipped |= {path for pattern in package_data["curation_assets.sql"] for path in (REPO_ROOT / "sql").glob(pattern)}
    # __pycache__ holds what Python and Numba compiled here, not data the package ships.
    data_files = {path for path in (REPO_ROOT / "curation_assets").rglob("*")
                  if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts}
    assert data_files - shipped == set()
    assert set((REPO_ROOT / "sql").iterdir()) <= shipped


def test_statements_are_read_from_the_top_level_sql_folder():
    from curation_assets.storage.sql_files import sql_dir

    assert sorted(entry.name for entry in sql_dir().iterdir() if entry.name.endswith(".sql")) == sorted(
        path.name for path in (REPO_ROOT / "sql").glob("*.sql"))
