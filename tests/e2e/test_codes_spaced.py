"""A valid identity code typed with spaces inside or O for 0 (tests/unit/test_codes_spaced.py)
through replay: every such line a dead letter with its reason and the code masked, in no byte
of the DuckDB file and on no line the CLI prints; the look-alikes that are no valid code kept
as events. With the fast path and without, in one worker and in two, and on both cores (the
compiled one, when built, and JATKUMO_CORE=pure) with the same relations."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from schemas.door import seen_code
from services.config import Settings
from services.replay import replay
from streams.core import compiled
from tests import helpers as h
from tests.unit.test_codes_spaced import FORMS, MASK, NOT_CODES, _places, _shown, valid_places

ROOT = Path(__file__).resolve().parents[2]


def _corpus() -> tuple[list[str], list[str], int]:
    """The lines (codes in every place, JSON-escaped and raw; look-alikes in every place they
    are valid), the reasons expected, and how many valid events."""
    lines: list[str] = []
    reasons: list[str] = []
    for form, _ in FORMS:
        for field, e in _places(form):
            if field != "event_id":
                e = {**e, "event_id": h.new_id()}
            for ascii_only in (True, False):
                lines.append(json.dumps(e, ensure_ascii=ascii_only))
                reasons.append(f"identity_code_in_{field}")
    valid = 0
    for text in NOT_CODES:
        for e in valid_places(text):
            lines.append(json.dumps({**e, "event_id": h.new_id()}, ensure_ascii=False))
            valid += 1
    lines.append(json.dumps(h.signed("k0", "2022-09-01")))
    return lines, reasons, valid + 1


def _no_trace(text: str) -> None:
    assert not _shown(text, [c for _, c in FORMS]), text


@pytest.mark.parametrize("workers", [1, 2])
def test_replay_refuses_and_masks_every_typed_code(tmp_path: Path, workers: int) -> None:
    lines, reasons, valid = _corpus()
    src = h.write_jsonl(tmp_path / "typed.jsonl", lines)
    db = tmp_path / "typed.duckdb"
    report = replay(src, db, Settings(pseudonym_key=h.KEY), None, workers=workers,
                    partitions=workers)
    assert report.taken == valid
    rel = h.read_relations(db)
    assert len(rel["events"]) == valid
    assert sorted(r[1] for r in rel["dead_letters"]) == sorted(reasons)
    for raw, reason, origin in rel["dead_letters"]:
        assert MASK in raw, raw
        _no_trace(raw + reason + origin)
    for row in rel["events"]:  # the look-alikes, which are no code
        assert not any(seen_code(str(value)) for value in row), row
    con = duckdb.connect(str(db))
    con.execute("CHECKPOINT")
    con.close()
    data = db.read_bytes()
    for form, _ in FORMS:
        assert form.encode() not in data and json.dumps(form).encode() not in data, form


def test_a_load_with_the_fast_path_is_a_load_without_it() -> None:
    h.same_load_fast_and_slow([line.encode() for line in _corpus()[0]])


def _cli_replay(src: Path, db: Path, core: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    env["JATKUMO_PSEUDONYM_KEY"] = "typed-key"
    env["COLUMNS"] = "200"
    if core is not None:
        env["JATKUMO_CORE"] = core
    code = ("import sys\nfrom services.cli import main\nrc = main(sys.argv[1:])\n"
            "from streams.core.compiled import which\nprint('core:', which())\nsys.exit(rc)")
    return subprocess.run([sys.executable, "-c", code, "replay", str(src), "--db", str(db)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def test_both_cores_give_the_same_relations_and_print_no_code(tmp_path: Path) -> None:
    lines, reasons, valid = _corpus()
    src = h.write_jsonl(tmp_path / "typed.jsonl", lines)
    got = {}
    cores = [compiled.PURE]
    if compiled.compiled_folder(ROOT) is not None:
        cores.append("compiled")
    for core in cores:
        db = tmp_path / f"{core}.duckdb"
        done = _cli_replay(src, db, core)
        assert done.returncode == 0, done.stderr
        assert f"core: {core}" in done.stdout
        _no_trace(done.stdout + done.stderr)
        rel = h.read_relations(db)
        assert len(rel["events"]) == valid
        assert sorted(r[1] for r in rel["dead_letters"]) == sorted(reasons)
        got[core] = rel
    if len(got) == 2:
        assert got["pure"] == got["compiled"]
