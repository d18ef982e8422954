"""The published cube after an ingest commit, over real HTTP against `jatkumo serve --ingest`:
the figures the dashboard publishes (/metrics without a token: the published cube's cells, k=1
so every count is shown) are the open gaps of the file the pages read, after every batch. The
writer invalidates the stored cube in each commit and stores it again before each snapshot
(services/web/live.py); a stale cube would keep the earlier figures and this test would time
out waiting for them to agree."""

import re
import time
from pathlib import Path

import duckdb

from services.web.live import snapshot_path
from tests.integration.ingest.server import Server, add_token, start
from tests.integration.ingest.test_http import SOURCE, _as_source
from tests.integration.kafka.generate import lines

METRIC = re.compile(rb'^jatkumo_open_gaps\{gap_type="([A-Z_]+)"\} ([0-9.e+]+)$', re.M)
TAKEN = re.compile(rb"^jatkumo_events_taken_total ([0-9.e+]+)$", re.M)


def _published(s: Server) -> tuple[int, dict[str, int]]:
    status, body = s.get("/metrics")
    assert status == 200
    taken = TAKEN.search(body)
    return (int(float(taken.group(1))) if taken else -1,
            {t.decode(): int(float(n)) for t, n in METRIC.findall(body)})


def _in_file(db: Path) -> tuple[int, dict[str, int]]:
    con = duckdb.connect(str(snapshot_path(db)), read_only=True)
    try:
        events = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
        gaps = dict(con.execute("SELECT gap_type, count(*) FROM continuity_gaps WHERE is_open "
                                "GROUP BY ALL").fetchall())
        return int(events), {str(t): int(n) for t, n in gaps.items()}
    finally:
        con.close()


def _agree(s: Server, db: Path, taken: int, seconds: float = 60) -> dict[str, int]:
    """Wait until the snapshot holds `taken` events and the published figures are its open
    gaps (the snapshot is published every 0.2 s here); returns them."""
    deadline = time.monotonic() + seconds
    seen: object = None
    while time.monotonic() < deadline:
        events, gaps = _in_file(db)
        published = _published(s)
        seen = (events, gaps, published)
        if events == taken and published == (taken, gaps):
            return gaps
        time.sleep(0.2)
    raise AssertionError(f"the published figures never matched the file: {seen}")


def test_after_each_ingest_commit_the_published_figures_are_the_files(tmp_path: Path) -> None:
    db = tmp_path / "live.duckdb"
    token = add_token(db, SOURCE)
    s = start(db, JATKUMO_SUPPRESS_BELOW="1", JATKUMO_SNAPSHOT_SECONDS="0.2")
    try:
        raws = [_as_source(r) for r in lines(60, seed=21)]
        taken = 0
        figures = []
        for part in (raws[:len(raws) // 3], raws[len(raws) // 3:]):
            status, body, _ = s.post("\n".join(part).encode(), token, "application/x-ndjson")
            assert status == 200, body
            taken += body["accepted"]
            figures.append(_agree(s, db, taken))
        assert sum(figures[-1].values()) > 0, "no open gap: the test would prove nothing"
        assert figures[0] != figures[1], "the second batch changed no figure"
    finally:
        s.stop()


def test_a_batch_of_only_dead_letters_reaches_the_pages_snapshot(tmp_path: Path) -> None:
    """An attack saw the snapshot stay stale after batches that only made dead letters (the
    data's version counted the log's events alone): analysts' SQL did not see them."""
    db = tmp_path / "live.duckdb"
    token = add_token(db, SOURCE)
    s = start(db, JATKUMO_SNAPSHOT_SECONDS="0.2")
    try:
        status, body, _ = s.post(b'{"not": "an event"}\nnot json', token,
                                 "application/x-ndjson")
        assert status == 200 and body["dead_letter"] == 2, body
        deadline, seen = time.monotonic() + 30, -1
        while time.monotonic() < deadline:
            con = duckdb.connect(str(snapshot_path(db)), read_only=True)
            try:
                seen = con.execute("SELECT count(*) FROM dead_letters").fetchall()[0][0]
            finally:
                con.close()
            if seen == 2:
                break
            time.sleep(0.2)
        assert seen == 2, f"the snapshot holds {seen} dead letters"
    finally:
        s.stop()
