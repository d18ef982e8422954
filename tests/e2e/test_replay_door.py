"""Issue 12, point 7, through the CLI and the replay: each attack on the door or on replay's files
is a clear dead letter, a usage error (exit 2) or a failure that says what happened (exit 1),
never a crash or a traceback calling it a bug, and nothing valid is lost."""

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest

from services.config import Settings
from services.publish import verdicts
from services.replay import replay
from services.replay_files import LOCK, SPOOL_PREFIX
from tests import helpers as h

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    return h.script("bench/replay.py", "bench_replay")


write_events = _bench().write_events

BUG = "This is a bug"


def cli(*args: str, prelude: str = "", user: str | None = None, timeout: float = 180,
        ) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess; `prelude` runs first (e.g. to force a parallel replay)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    env["JATKUMO_PSEUDONYM_KEY"] = "door-test"
    code = f"import sys\n{prelude}\nfrom services.cli import main\nsys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", code, *args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=timeout)


PARALLEL = "import services.replay as r\nr.PARALLEL_FROM_BYTES = 0"


def _events(tmp: Path) -> Path:
    return h.write_jsonl(tmp / "events.jsonl", [h.signed("k1", "2022-09-01"),
                                                h.attendance("k1", "2022-09-02")])


@contextlib.contextmanager
def _folder_of_events(mode: int) -> Iterator[tuple[Path, Path]]:
    """A folder in /tmp with `mode` and a readable event file in it, for the CLI run as
    nobody (pytest's own folders are closed to other users); removed after."""
    folder = Path(tempfile.mkdtemp(prefix="jatkumo-door-", dir="/tmp"))
    try:
        folder.chmod(mode)
        src = _events(folder)
        src.chmod(0o644)
        yield folder, src
    finally:
        shutil.rmtree(folder)


# --- --db and the folders ----------------------------------------------------------------------

def test_db_equal_to_the_input_is_refused_and_the_input_kept(tmp_path: Path) -> None:
    src = _events(tmp_path)
    before = src.read_bytes()
    (tmp_path / "link.duckdb").symlink_to(src)
    os.link(src, tmp_path / "hard.duckdb")
    for db in (src, tmp_path / "link.duckdb", tmp_path / "hard.duckdb",
               tmp_path / "sub" / ".." / "events.jsonl"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        done = cli("replay", str(src), "--db", str(db))
        assert done.returncode == 2, (db, done.stderr)
        assert "would overwrite the event file" in done.stderr and BUG not in done.stderr
        assert src.read_bytes() == before


def test_a_db_path_holding_another_file_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    """A replay replaces its DuckDB file: a mistyped --db that names another file (events of
    another year, a report) must not destroy it. An empty file or a DuckDB file is taken."""
    src = _events(tmp_path)
    other = h.write_jsonl(tmp_path / "events-2024.jsonl", [h.signed("k9", "2024-01-01")])
    before = other.read_bytes()
    done = cli("replay", str(src), "--db", str(other))
    assert done.returncode == 2 and "not a DuckDB file" in done.stderr, done.stderr
    assert other.read_bytes() == before
    # looked at before it is opened: a FIFO would wait for a writer for ever, and a device
    # is no file to replace
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for db in (fifo, Path("/dev/null")):
        done = cli("replay", str(src), "--db", str(db), timeout=60)
        assert done.returncode == 2 and "not a DuckDB file" in done.stderr, (db, done.stderr)
    assert fifo.exists()
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    for db in (empty, empty):  # empty, then the DuckDB file the first replay left there
        ok = cli("replay", str(src), "--db", str(db), "--quiet")
        assert ok.returncode == 0, ok.stderr
    with duckdb.connect(str(empty), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone() == (2,)


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv to drop root")
def test_a_db_file_that_cannot_be_read_is_not_replaced(tmp_path: Path) -> None:
    """Whether it may be replaced does not say what it is: as nobody (root reads anything),
    in a folder nobody may write, a file it may write but not read is kept."""
    with _folder_of_events(0o777) as (folder, src):
        unread = folder / "unread.duckdb"
        unread.write_bytes(b"report, not a database " * 10)
        unread.chmod(0o222)
        done = cli("replay", str(src), "--db", str(unread), user="65534")
        assert done.returncode == 2 and "not a DuckDB file" in done.stderr, done.stderr
        assert unread.read_bytes() == b"report, not a database " * 10


def test_the_event_file_named_like_the_building_file_is_refused(tmp_path: Path) -> None:
    src = _events(tmp_path)
    building = src.rename(tmp_path / ".gaps.duckdb.replaying")
    done = cli("replay", str(building), "--db", str(tmp_path / "gaps.duckdb"))
    assert done.returncode == 2 and building.exists(), done.stderr


def test_a_folder_as_db_or_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    src = _events(tmp_path)
    for db, says in ((tmp_path, "is a folder"),
                     (src / "gaps.duckdb", "does not exist"),  # a file used as a folder
                     (tmp_path / "nowhere" / "gaps.duckdb", "does not exist"),
                     # a folder that is there and takes no new file: not "does not exist"
                     (Path("/proc/jatkumo-test.duckdb"), "cannot write in the folder"),
                     (Path("/proc/self/status"), "cannot write in the folder")):
        done = cli("replay", str(src), "--db", str(db))
        assert done.returncode == 2, (db, done.stderr)
        assert says in done.stderr and BUG not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv to drop root")
def test_a_folder_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    """As root chmod stops nothing: the CLI runs as nobody, in a folder nobody cannot write."""
    with _folder_of_events(0o755) as (folder, src):
        closed = folder / "closed"
        closed.mkdir(mode=0o755)
        done = cli("replay", str(src), "--db", str(closed / "gaps.duckdb"), user="65534")
        assert done.returncode == 2, done.stderr
        assert "cannot write in the folder" in done.stderr and BUG not in done.stderr


@pytest.fixture
def small_disk(tmp_path: Path) -> Any:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr!r}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.parametrize("prelude", ["", PARALLEL], ids=["one process", "parallel"])
def test_a_full_disk_is_a_failure_that_says_so(tmp_path: Path, small_disk: Path,
                                               prelude: str) -> None:
    src = tmp_path / "events.jsonl"
    write_events(src, 20_000)
    done = cli("replay", str(src), "--db", str(small_disk / "gaps.duckdb"), "--quiet",
               prelude=prelude)
    assert done.returncode == 1, done.stderr
    assert "no space left" in done.stderr and BUG not in done.stderr, done.stderr
    assert not list(small_disk.iterdir())  # nothing half-written is left behind


# --- spool folders -----------------------------------------------------------------------------

def _spools(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{SPOOL_PREFIX}*"))


def test_stale_spool_folders_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    src = _events(tmp_path)
    stale = tmp_path / f"{SPOOL_PREFIX}killed"
    stale.mkdir()
    (stale / LOCK).write_text("12345\n")  # nobody holds its lock: its replay is gone
    (stale / "lines.3").write_bytes(b"x" * 1000)
    old = tmp_path / f"{SPOOL_PREFIX}before-locks"
    old.mkdir()
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    live = tmp_path / f"{SPOOL_PREFIX}running"
    live.mkdir()
    with (live / LOCK).open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a running replay holds it
        replay(src, tmp_path / "gaps.duckdb", Settings(pseudonym_key=h.KEY), workers=2,
               partitions=2)
        assert _spools(tmp_path) == [live]


def test_a_killed_replay_leaves_a_folder_the_next_run_removes(tmp_path: Path) -> None:
    src = tmp_path / "events.jsonl"
    write_events(src, 150_000)
    db = tmp_path / "gaps.duckdb"
    env = {**os.environ, "JATKUMO_PSEUDONYM_KEY": "k"}
    code = f"import sys\n{PARALLEL}\nfrom services.cli import main\nsys.exit(main(sys.argv[1:]))"
    for sig in (signal.SIGKILL, signal.SIGTERM):
        proc = subprocess.Popen([sys.executable, "-c", code, "replay", str(src), "--db", str(db),
                                 "--quiet"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while not _spools(tmp_path) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert _spools(tmp_path), "the replay made no spool folder"
        time.sleep(0.3)
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
        if sig == signal.SIGKILL:
            assert _spools(tmp_path)  # a killed process cleans nothing
            done = cli("replay", str(_events(tmp_path / "..")), "--db", str(db), "--quiet")
            assert done.returncode == 0, done.stderr
        else:  # stopped with SIGTERM: it cleans up after itself
            assert proc.returncode == 1 and "interrupted" in err, err
        assert not _spools(tmp_path)
        assert not (tmp_path / ".gaps.duckdb.replaying").exists()


def _grandchildren(pid: int) -> list[int]:
    """The processes two levels under `pid`: a replay's workers (under its fork server)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            children.setdefault(ppid, []).append(int(entry.name))
    return [g for c in children.get(pid, []) for g in children.get(c, [])]


def test_a_worker_killed_is_a_failure_that_says_how_it_ended(tmp_path: Path) -> None:
    """A worker the system kills (out of memory, say) sends no message: the replay fails with
    its exit code, writes nothing, and leaves no spool folder."""
    src = tmp_path / "events.jsonl"
    write_events(src, 150_000)
    env = {**os.environ, "JATKUMO_PSEUDONYM_KEY": "k"}
    code = f"import sys\n{PARALLEL}\nfrom services.cli import main\nsys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "replay", str(src), "--db",
                             str(tmp_path / "gaps.duckdb"), "--quiet"], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    workers: list[int] = []
    while len(workers) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
        workers = _grandchildren(proc.pid)
    assert len(workers) >= 2, "no workers seen"
    os.kill(workers[-1], signal.SIGKILL)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "a replay worker failed; nothing was written" in err and "exit code -9" in err, err
    assert BUG not in err
    assert not (tmp_path / "gaps.duckdb").exists() and not _spools(tmp_path)


# --- the door in a replay ----------------------------------------------------------------------

MODES = {"one process": {"workers": 1}, "parallel": {"workers": 2, "partitions": 3}}


def _replay(tmp: Path, lines: list[str], name: str, **kw: Any) -> tuple[Any, duckdb.
                                                                          DuckDBPyConnection]:
    src = tmp / f"{name}.jsonl"
    src.write_text("".join(x + "\n" for x in lines))
    report = replay(src, tmp / f"{name}.duckdb", Settings(pseudonym_key=h.KEY), **kw)
    return report, duckdb.connect(str(tmp / f"{name}.duckdb"), read_only=True)


@pytest.mark.parametrize("mode", list(MODES))
def test_attacks_on_the_door_are_dead_letters_and_the_valid_events_are_all_taken(
        tmp_path: Path, mode: str) -> None:
    good = [h.signed("k1", "2022-09-01"), h.attendance("k1", "2022-09-02"),
            h.registered("2022-08-01", client="c2")]
    dup = json.dumps(h.signed("k9", "2022-09-01", client="c3")).replace(
        '"payload": {', '"payload": {"contract_id": "k8"}, "payload": {', 1)
    bad = [json.dumps(h.registered("2022-01-01", birth_year=1099511627776, client="c4")),
           dup,
           json.dumps(h.referral_made("r1", "9999-12-31", client="c5")),
           json.dumps(h.signed("k7", "2022-09-01", client="131052-308T"))]
    report, con = _replay(tmp_path, [json.dumps(e) for e in good] + bad, mode, **MODES[mode])
    reasons = sorted(r[0] for r in con.execute("SELECT reason FROM dead_letters").fetchall())
    assert len(reasons) == 4
    assert "identity_code_in_client_id" in reasons
    assert any(r.startswith("duplicate key: payload") for r in reasons)
    assert any(r.startswith("payload.made_on: Input should be less than or equal to 2100")
               for r in reasons)
    assert any(r.startswith("payload.birth_year") for r in reasons)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (3,)
    assert con.execute("SELECT as_of_date::VARCHAR FROM as_of").fetchone() == ("2022-09-02",)
    assert report.taken == 3


@pytest.mark.parametrize("mode", list(MODES))
def test_a_byte_order_mark_at_the_start_of_the_file_is_no_dead_letter(tmp_path: Path,
                                                                       mode: str) -> None:
    src = tmp_path / "bom.jsonl"
    lines = [json.dumps(h.signed("k1", "2022-09-01")), json.dumps(h.attendance("k1",
                                                                               "2022-09-02"))]
    src.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    report = replay(src, tmp_path / "bom.duckdb", Settings(pseudonym_key=h.KEY), **MODES[mode])
    assert (report.taken, sum(report.dead_letters.values())) == (2, 0)
    assert not [v for _n, v in verdicts(src, h.KEY) if not hasattr(v, "event_id")]


def _noisy(tmp: Path) -> Path:
    src = tmp / "noisy.jsonl"
    write_events(src, 3000, seed=3)
    lines = src.read_bytes().splitlines()
    for i in range(0, len(lines), 97):  # cut lines short, break types, add codes and CRs
        lines[i] = lines[i][: 60 + i % 80]
    for i in range(5, len(lines), 131):
        lines[i] = lines[i].replace(b'"schema_version":1', b'"schema_version":2')
    for i in range(7, len(lines), 151):
        lines[i] = lines[i].replace(b'"source":"', b'"source":"131052-308T ') + b"\r"
    src.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines))
    return src


def _simulated(tmp: Path) -> Path:
    """The region simulator's own noise (cut lines, bad dates, wrong versions, unknown types),
    on fewer young people than `jatkumo simulate --region pohjois-pohjanmaa`."""
    from services.simulate import SimConfig, simulate

    src = tmp / "simulated.jsonl"
    simulate(SimConfig(seed=1, clients=400), src, tmp / "truth.jsonl")
    return src


@pytest.mark.parametrize("make", [_noisy, _simulated], ids=["noisy", "simulated"])
def test_publish_refuses_each_line_with_the_reason_replay_gives(tmp_path: Path, make: Any
                                                                ) -> None:
    """publish judged a line with its newline on: an unfinished line got another column in
    its reason than replay's parallel reader gave (122 of 453 dead letters of the region
    file). Now both read lines the same way."""
    src = make(tmp_path)
    published = {v.origin: (v.raw, v.reason) for _n, v in verdicts(src, h.KEY)
                 if v is not None and not hasattr(v, "event_id")}
    assert len(published) > 20
    for mode, kw in MODES.items():
        db = tmp_path / f"{mode.replace(' ', '-')}.duckdb"
        replay(src, db, Settings(pseudonym_key=h.KEY), **kw)
        con = duckdb.connect(str(db), read_only=True)
        replayed = {o: (raw, reason) for raw, reason, o in con.execute(
            "SELECT raw, reason, origin FROM dead_letters").fetchall()}
        con.close()
        assert replayed == published, mode
