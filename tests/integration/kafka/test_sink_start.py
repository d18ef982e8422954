"""What a sink does before its first batch, so that no row waits for it."""

import subprocess
import sys
from pathlib import Path

from tests.integration.kafka.pipeline import ROOT, env

PROBE = """
import sys
from pathlib import Path
from services.config import load, load_kafka
from services.sink import run_sink
import os
seen = []
before = "scipy.optimize" in sys.modules
run_sink(Path(sys.argv[1]), load(os.environ), load_kafka(os.environ),
         should_stop=lambda: True,
         on_open=lambda writer: seen.append("scipy.optimize" in sys.modules))
print(before, seen)
"""


def test_the_sink_has_the_cube_solver_before_it_opens_the_file(kafka: str,
                                                                tmp_path: Path) -> None:
    # Every sink builds the published cube (as it closes; live, after its first batch): the
    # 0.25-0.3 s of importing scipy came after the last row was written
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "s.duckdb")],
                          cwd=ROOT, env=env(kafka, "2024-12-31"), capture_output=True,
                          text=True, timeout=120)
    # told to stop as it started: it stops (aiokafka's stop raised CancelledError here)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.split("\n")[-2] == "False [True]"  # fresh, then loaded before the file
