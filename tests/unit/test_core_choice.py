"""Which core runs (streams.core.compiled): the compiled one only while it is the build of
exactly these sources, for this Python, and not switched off."""

import json
import sys
from pathlib import Path

import pytest

from streams.core import compiled
from streams.core.compiled import COMPILED_MODULES, MANIFEST, compiled_folder, source_hashes


def tree(tmp_path: Path) -> Path:
    core = tmp_path / "streams" / "core"
    core.mkdir(parents=True)
    for m in COMPILED_MODULES:
        (core / f"{m}.py").write_text(f"# {m}\n")
    build = tmp_path / "build" / "core"
    build.mkdir(parents=True)
    (build / MANIFEST).write_text(json.dumps(
        {"python": sys.implementation.cache_tag, "sources": source_hashes(tmp_path)}))
    return tmp_path


def test_a_matching_build_is_chosen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JATKUMO_CORE", raising=False)
    root = tree(tmp_path)
    assert compiled_folder(root) == root / "build" / "core"


def test_an_edited_source_falls_back_to_python(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JATKUMO_CORE", raising=False)
    root = tree(tmp_path)
    (root / "streams" / "core" / "gaps.py").write_text("# a rule changed after the build\n")
    assert compiled_folder(root) is None


def test_another_python_or_no_build_falls_back(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JATKUMO_CORE", raising=False)
    root = tree(tmp_path)
    manifest = root / "build" / "core" / MANIFEST
    manifest.write_text(json.dumps({"python": "cpython-27", "sources": source_hashes(root)}))
    assert compiled_folder(root) is None
    manifest.unlink()
    assert compiled_folder(root) is None


@pytest.mark.parametrize("text", ["[1, 2]", "null", "{", "\u0000", '"x"'])
def test_a_spoilt_manifest_falls_back_and_never_crashes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.delenv("JATKUMO_CORE", raising=False)
    root = tree(tmp_path)
    (root / "build" / "core" / MANIFEST).write_text(text)
    assert compiled_folder(root) is None


def test_pure_is_one_variable_away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tree(tmp_path)
    monkeypatch.setenv("JATKUMO_CORE", "pure")
    assert compiled_folder(root) is None


def test_which_names_the_core_this_process_runs() -> None:
    import streams.core.evaluate  # noqa: F401

    module = sys.modules["streams.core.evaluate"]
    origin = module.__spec__.origin if module.__spec__ else ""
    assert compiled.which() == ("pure" if str(origin).endswith(".py") else "compiled")
