"""The packages of services/ import each other in one direction only: the dashboard
(services.web) hosts the alerts (services.alerts), and the alerts reach the dashboard's reader
and store only through their own protocols (services/alerts/ports.py). Checked two ways: the
static import graph of every module (an AST walk, imports inside functions included), and a
fresh interpreter that imports the alerts without loading any of services.web."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every absolute module a file imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _package(module: str) -> str | None:
    """The services subpackage a module belongs to (services.web, services.alerts, …)."""
    parts = module.split(".")
    if parts[0] != "services" or len(parts) < 2:
        return None
    return ".".join(parts[:2]) if (SERVICES / parts[1]).is_dir() else None


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in SERVICES.rglob("*.py"):
        mine = _package(_module(path))
        if mine is None:
            continue
        for imported in _imports(path):
            other = _package(imported)
            if other is not None and other != mine:
                graph.setdefault(mine, set()).add(other)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle once, found by a depth-first walk from every node."""
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def walk(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == path[0]:
                if frozenset(path) not in seen:
                    seen.add(frozenset(path))
                    cycles.append([*path, nxt])
            elif nxt not in path and nxt > path[0]:
                walk(nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, [start])
    return cycles


def test_the_walk_finds_imports_and_cycles() -> None:
    # the walk itself, on a graph with a known cycle, and on this very file's imports
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert {"ast", "subprocess", "pathlib.Path"} <= _imports(Path(__file__))
    assert "services.web" in package_graph()  # the walk sees the packages


def test_no_two_service_packages_import_each_other() -> None:
    graph = package_graph()
    assert "services.alerts" in graph.get("services.web", set())  # the host imports the alerts
    assert "services.web" not in graph.get("services.alerts", set())
    assert _cycles(graph) == []


def test_the_alerts_import_without_the_dashboard_in_a_fresh_interpreter() -> None:
    code = ("import sys, services.alerts.service, services.alerts.state, "
            "services.alerts.alertmanager; "
            "print(sorted(m for m in sys.modules if m.startswith('services.web')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_dashboard_imports_in_a_fresh_interpreter() -> None:
    done = subprocess.run([sys.executable, "-c", "import services.web.server"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
