"""The compiled core's build cache (deploy/build_core.py): a clone takes a cached build only
under the key of exactly its inputs, and only a whole one."""

import shutil
from pathlib import Path
from types import ModuleType

import pytest

from streams.core.compiled import COMPILED_MODULES, MANIFEST
from tests import helpers as h

ROOT = Path(__file__).resolve().parents[2]


def builder() -> ModuleType:
    return h.script("deploy/build_core.py", "build_core")


def clone(tmp_path: Path) -> Path:
    """The inputs of a build: the compiled sources and the build script."""
    root = tmp_path / "clone"
    (root / "streams" / "core").mkdir(parents=True)
    (root / "deploy").mkdir()
    for m in COMPILED_MODULES:
        shutil.copy(ROOT / "streams" / "core" / f"{m}.py", root / "streams" / "core")
    shutil.copy(ROOT / "deploy" / "build_core.py", root / "deploy")
    return root


def test_the_key_changes_with_every_input(tmp_path: Path) -> None:
    b = builder()
    root = clone(tmp_path)
    key = b.build_key(root, "gcc 12.2.0")
    assert b.build_key(root, "gcc 12.2.0") == key  # the same inputs: the same key
    assert b.build_key(root, "gcc 13.1.0") != key
    for edited in [root / "streams" / "core" / "gaps.py", root / "deploy" / "build_core.py"]:
        before = edited.read_bytes()
        edited.write_bytes(before + b"\n# changed\n")
        assert b.build_key(root, "gcc 12.2.0") != key, edited
        edited.write_bytes(before)
    assert b.build_key(root, "gcc 12.2.0") == key


def test_a_kept_build_is_restored_whole(tmp_path: Path) -> None:
    b = builder()
    out = tmp_path / "build" / "core"
    (out / "streams" / "core").mkdir(parents=True)
    (out / "streams" / "core" / "gaps.so").write_bytes(b"\x7fELF compiled")
    (out / MANIFEST).write_text('{"python": "x"}')
    cached = tmp_path / "cache" / "k1"
    assert not b.restore(cached, tmp_path / "elsewhere")  # nothing cached yet
    b.keep(out, cached)
    b.keep(out, cached)  # a second setup with the same build: no error, still one build
    again = tmp_path / "clone" / "build" / "core"
    (again / "stale").mkdir(parents=True)
    assert b.restore(cached, again)
    assert (again / "streams" / "core" / "gaps.so").read_bytes() == b"\x7fELF compiled"
    assert (again / MANIFEST).read_text() == '{"python": "x"}'
    assert not (again / "stale").exists()
    assert [p.name for p in cached.parent.iterdir()] == ["k1"]  # no half copy left behind


def test_half_a_build_in_the_cache_is_not_taken(tmp_path: Path) -> None:
    b = builder()
    cached = tmp_path / "cache" / "k2"
    (cached / "streams").mkdir(parents=True)  # no manifest: a copy cut short
    assert not b.restore(cached, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_cache_folder_follows_the_settings(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    b = builder()
    monkeypatch.setenv("JATKUMO_BUILD_CACHE", str(tmp_path / "mine"))
    assert b.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("JATKUMO_BUILD_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert b.cache_dir() == tmp_path / "xdg" / "jatkumo" / "core"
