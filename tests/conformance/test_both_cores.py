"""CI runs the conformance suite on both cores (issue 14): this process runs the compiled one
(deploy/setup.sh builds it), and this test runs the whole suite again on the Python one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from streams.core import compiled

ROOT = Path(__file__).resolve().parents[2]


def test_the_compiled_core_runs_where_it_was_built() -> None:
    if os.environ.get("JATKUMO_CORE") == compiled.PURE:
        assert compiled.which() == "pure"
        return
    if compiled.compiled_folder(ROOT) is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run on the compiled core: deploy/setup.sh builds it")
        pytest.skip("no build of the core here (run deploy/build_core.py)")
    assert compiled.which() == "compiled"


def test_the_conformance_suite_passes_on_the_python_core() -> None:
    if os.environ.get("JATKUMO_CORE") == compiled.PURE:
        pytest.skip("already the Python core's run")
    env = {**os.environ, "JATKUMO_CORE": compiled.PURE}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         str(ROOT / "tests" / "conformance")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
