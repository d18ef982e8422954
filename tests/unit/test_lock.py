"""The environment is the locked one (uv.lock, installed by deploy/setup.sh with uv sync
--frozen), and DuckDB writes the file format pyproject.toml's bound was chosen for."""

import importlib.metadata as md
import tomllib
from collections import defaultdict
from pathlib import Path

import duckdb
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
LOCK = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _locked() -> dict[str, set[str]]:
    """Name -> locked versions (a universal lock may hold one per Python version)."""
    out: dict[str, set[str]] = defaultdict(set)
    for p in LOCK["package"]:
        out[p["name"]].add(p["version"])
    return out


def _ours() -> list[Requirement]:
    reqs = [Requirement(r) for r in PROJECT["dependencies"]]
    for extra in PROJECT["optional-dependencies"].values():
        reqs += [Requirement(r) for r in extra]
    return reqs


def test_every_dependency_is_locked_and_installed_at_its_locked_version() -> None:
    locked = _locked()
    for req in _ours():
        name = req.name.lower()
        assert name in locked, f"{name} is not in uv.lock: run .venv/bin/uv lock"
        installed = md.version(name)
        assert installed in locked[name], (
            f"{name} {installed} is installed, uv.lock has {sorted(locked[name])}: "
            "run bash deploy/setup.sh")
        assert req.specifier.contains(installed), f"{name} {installed} outside {req}"


def test_every_installed_locked_package_has_its_locked_version() -> None:
    wrong = {}
    for name, versions in _locked().items():
        try:
            installed = md.version(name)
        except md.PackageNotFoundError:
            continue  # another platform's (colorama) or the project itself
        if installed not in versions and name != "jatkumo":
            wrong[name] = (installed, sorted(versions))
    assert wrong == {}


def test_duckdb_writes_the_file_format_of_its_bound(tmp_path: Path) -> None:
    # pyproject.toml holds DuckDB to 2.0.x: it writes storage v2.0.0, which DuckDB before 2.0
    # cannot read. A DuckDB that writes another format fails here, before any file is written.
    (bound,) = [r for r in _ours() if r.name == "duckdb"]
    assert str(bound.specifier) in (">=2.0,<2.1", "<2.1,>=2.0")
    con = duckdb.connect(str(tmp_path / "f.duckdb"))
    try:
        con.execute("CREATE TABLE t (a INTEGER)")
        (tags,) = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'f'"
                              ).fetchone() or (None,)
    finally:
        con.close()
    assert tags is not None and tags["storage_version"].startswith("v2.0."), tags
