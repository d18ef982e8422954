"""POST /api/v1/events in front of a real broker (`jatkumo ingest`), then the workers and the
sink: the same relations as replay of the same events, row for row."""

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from schemas.door import DeadLetter, admit
from tests.integration.ingest.server import free_port
from tests.integration.kafka import generate
from tests.integration.kafka.compare import differences
from tests.integration.kafka.pipeline import (
    ROOT,
    env,
    replay_db,
    work_through,
)

pytestmark = pytest.mark.kafka
SOURCE = "register:oulu"


def _resourced(line: str) -> str:
    try:
        obj = json.loads(line)
    except ValueError:
        return line
    if isinstance(obj, dict) and "source" in obj:
        obj["source"] = SOURCE
        return json.dumps(obj)
    return line


def _post(port: int, token: str, lines: list[str]) -> dict[str, int]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/events",
                                 data="\n".join(lines).encode(), method="POST",
                                 headers={"Content-Type": "application/x-ndjson",
                                          "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        body = json.loads(r.read())
    return {k: body[k] for k in ("accepted", "duplicate", "dead_letter")}


def test_events_posted_to_the_kafka_gateway_equal_replay(kafka: str, work: Path) -> None:
    as_of = "2024-03-31"
    lines = [_resourced(x) for x in generate.lines(300, seed=21, malformed=10)]
    # a valid event padded past a Kafka message's limit: a dead letter, as in replay (it was
    # sent as written and Kafka refused the request's events)
    valid = next(x for x in lines if not isinstance(admit(x, "", None), DeadLetter))
    lines.append(valid[:-1] + " " * 2**21 + "}")
    events = work / "events.jsonl"
    events.write_text("\n".join(lines) + "\n")
    tokens = work / "tokens.json"
    e = env(kafka, as_of)
    made = subprocess.run([sys.executable, "-m", "services.cli", "token", "add", "oulu",
                           "--source", SOURCE, "--tokens", str(tokens)], cwd=ROOT, env=e,
                          capture_output=True, text=True)
    token = made.stdout.split()[0]
    port = free_port()
    with (work / "ingest.log").open("wb") as log:  # the child has its own copy of the fd
        gateway = subprocess.Popen([sys.executable, "-m", "services.cli", "ingest", "--tokens",
                                    str(tokens), "--port", str(port), "--name", "test"],
                                   cwd=ROOT, env=e, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).close()
                break
            except OSError:
                assert gateway.poll() is None and time.monotonic() < deadline, \
                    (work / "ingest.log").read_text()
                time.sleep(0.2)
        total = {"accepted": 0, "duplicate": 0, "dead_letter": 0}
        for i in range(0, len(lines), 200):
            for k, v in _post(port, token, lines[i:i + 200]).items():
                total[k] += v
        assert total["dead_letter"] == 11 and total["accepted"] == len(lines) - 11
    finally:
        gateway.terminate()
        gateway.wait(30)
    db = work_through(kafka, as_of, work)
    replay_db(events, as_of, work / "replay.duckdb")
    assert differences(work / "replay.duckdb", db) == {}


def test_the_gateway_on_a_port_in_use_says_so_at_once(kafka: str, work: Path) -> None:
    """It made its Kafka producer first, and on a taken port hung some 5 minutes (deaf to
    SIGTERM) before calling the OSError a bug: now a usage error, status 2, before anything
    connects."""
    import socket

    tokens = work / "tokens.json"
    e = env(kafka, "2024-03-31")
    made = subprocess.run([sys.executable, "-m", "services.cli", "token", "add", "oulu",
                           "--source", SOURCE, "--tokens", str(tokens)], cwd=ROOT, env=e,
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "services.cli", "ingest", "--tokens",
                               str(tokens), "--port", str(port)], cwd=ROOT, env=e,
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert f"cannot listen on 127.0.0.1 port {port}" in done.stderr
    # at once: the 5 minutes' hang would be past the run's 120 s timeout
    assert "--port a free port" in done.stderr and "Traceback" not in done.stderr
