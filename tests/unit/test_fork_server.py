"""services.fork_server: children of the fork server do not import again what the parent's
main module imports (a `jatkumo replay` worker re-imported the whole command line, 1.3 s of
a core each)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEAVY = """import os
with open(os.environ["FORK_LOG"], "a") as log:  # who imported this module
    log.write(f"{os.getpid()}\\n")
"""

MAIN = """import os
import multiprocessing
from forkpkg import heavy  # noqa: F401
from services.fork_server import fork_server

def child() -> None:
    pass

if __name__ == "__main__":
    ctx = fork_server() if os.environ["FORK_WAY"] == "ours" else \\
        multiprocessing.get_context("forkserver")
    started = [ctx.Process(target=child) for _ in range(3)]
    for p in started:
        p.start()
    for p in started:
        p.join()
    print(os.getpid(), *(p.pid for p in started), *(p.exitcode for p in started))
"""


def run(tmp_path: Path, way: str) -> tuple[int, list[int], list[int], list[int]]:
    pkg = tmp_path / way / "forkpkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "heavy.py").write_text(HEAVY)
    (pkg / "main.py").write_text(MAIN)
    log = tmp_path / way / "imports.log"
    env = {**os.environ, "FORK_LOG": str(log), "FORK_WAY": way,
           "PYTHONPATH": os.pathsep.join([str(tmp_path / way), str(ROOT)])}
    # -W default: runpy's warnings shown, as a command line configured to show them does
    done = subprocess.run([sys.executable, "-W", "default", "-m", "forkpkg.main"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True)
    # runpy warns when a child re-runs a main module found imported already
    assert "Warning" not in done.stderr, done.stderr
    numbers = [int(x) for x in done.stdout.split()]
    imported = [int(x) for x in log.read_text().split()]
    return numbers[0], numbers[1:4], numbers[4:], imported


def test_children_find_the_main_modules_imports_in_the_fork_server(tmp_path: Path) -> None:
    parent, children, exits, imported = run(tmp_path, "ours")
    assert exits == [0, 0, 0]
    # the parent, and the fork server once: never a child
    assert imported[0] == parent and len(imported) == 2
    assert not set(children) & set(imported)


def test_without_it_every_child_imports_them_again(tmp_path: Path) -> None:
    """The control: multiprocessing's fork server alone (what replay and publish used)."""
    parent, children, exits, imported = run(tmp_path, "plain")
    assert exits == [0, 0, 0]
    assert imported[0] == parent and set(children) <= set(imported)
