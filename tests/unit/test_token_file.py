"""The source systems' token file is written as a new file of its own (attack, 2026-12-04: a
symbolic link planted as its temporary file made `jatkumo token add` write the tokens through
it into another file, left readable by all)."""

import stat
from pathlib import Path

from services.ingest.tokens import TokenStore


def test_a_planted_link_is_not_followed_and_the_file_is_private(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    path = tmp_path / "t.duckdb.tokens.json"
    (tmp_path / "t.duckdb.tokens.json.tmp").symlink_to(victim)
    store = TokenStore(path)
    token = store.add("paja", "workshop:PAJA-1")
    assert victim.read_text() == "keep me\n"
    assert not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.verify(token) is not None
    store.add("paja2", "workshop:PAJA-2")  # a leftover temporary file is no obstacle either
    assert [t.name for t in TokenStore(path).all()] == ["paja", "paja2"]
