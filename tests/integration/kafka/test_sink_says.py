"""What the sink says once it reads (`sink: reading HOST:PORT into FILE`, a line added for the
broker's outage test and for operators): the file's name is a user's input, echoed to a
terminal and a log, so hostile names go through it as through every other line the CLI
writes: an identity code masked, terminal controls and a right-to-left override escaped."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.kafka.pipeline import ROOT, env

pytestmark = pytest.mark.kafka
AS_OF = "2024-06-30"


@pytest.mark.parametrize("name", [
    "131052-308T.duckdb",  # a published example code, as a file name
    "live\x1b[2J\x1b]0;pwned\x07.duckdb",  # clears the screen, retitles the terminal
    "\u202eT803-250131.duckdb",  # the code written backwards behind an override
    "a" * 240 + ".duckdb",  # long, within a file name's 255 bytes
])
def test_the_sink_says_it_reads_without_echoing_a_hostile_file_name(
        kafka: str, work: Path, name: str) -> None:
    db = work / name
    done = subprocess.run([sys.executable, "-m", "services.cli", "sink", "--db", str(db),
                           "--until-caught-up"], cwd=ROOT, env=env(kafka, AS_OF),
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("sink: reading")]
    assert len(lines) == 1, done.stdout  # once, before the closing line
    out = done.stdout + done.stderr
    assert f"sink: reading {kafka} into " in lines[0]
    assert "131052" not in out and "250131" not in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert db.exists()  # the file is the name given: only what is said is masked
