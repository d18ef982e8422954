"""The private members of faust, mode and aiokafka that the worker relies on are reached in
one module, streams/kafka_internals.py, and are there in the versions pinned in
pyproject.toml. An upgrade that renames one fails here, by name, instead of in a live worker
(issue 14: faust and aiokafka are pinned exactly for this reason); a private access anywhere
else in our code fails here too, by file and line."""

import ast
import importlib
import inspect
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest

from streams import kafka_internals

ROOT = Path(__file__).resolve().parents[2]
PINNED = {"faust-streaming": "0.15.3", "aiokafka": "0.14.0", "mode-streaming": "0.7.1"}
LIBRARIES = ("faust", "aiokafka", "mode")
ADAPTER = ROOT / "streams" / "kafka_internals.py"
OURS = ("streams", "services", "analytics", "schemas", "bench", "tests")
# the adapter, and this file (it names the members in order to check them)
EXEMPT = {ADAPTER, Path(__file__).resolve()}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@cache
def library_private_names() -> frozenset[str]:
    """Every private name faust, mode and aiokafka define or use on an object (attributes,
    methods), from their installed sources."""
    names: set[str] = set()
    for lib in LIBRARIES:
        # faust's module has no __spec__ (it replaces itself with a lazy module): its path
        for path in Path(next(iter(importlib.import_module(lib).__path__))).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and _private(node.attr):
                    names.add(node.attr)
                elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) \
                        and _private(node.name):
                    names.add(node.name)
    return frozenset(names)


def _imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> the module (or module.name) it was imported from."""
    got: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                got[(a.asname or a.name).split(".")[0]] = a.name if a.asname else \
                    a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                got[a.asname or a.name] = f"{node.module}.{a.name}"
    return got


def _root(expr: ast.expr) -> str | None:
    while isinstance(expr, ast.Attribute | ast.Call | ast.Subscript):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return expr.id if isinstance(expr, ast.Name) else None


# modules of ours that hand out objects of the libraries (apps, consumers, producers, tables)
HANDING_OUT = ("streams.", "services.worker", "services.sink", "tests.integration.kafka")


def _in_reach(imports: dict[str, str]) -> bool:
    """Whether a module can hold objects of the libraries: it imports them, or a module of
    ours that hands them out. Elsewhere `x._name` is an object of ours (a private name of
    theirs used by chance, e.g. a `_cache` of the web reader)."""
    return any(m.split(".")[0] in LIBRARIES or
               (m.startswith(HANDING_OUT) and not m.startswith("streams.core"))
               for m in imports.values())


def _theirs(module: str) -> bool:
    """A module of the libraries, or the adapter (whose classes derive from theirs)."""
    return module.split(".")[0] in LIBRARIES or module.startswith("streams.kafka_internals")


class Scan(ast.NodeVisitor):
    """Private members of the libraries reached from a module of ours: `x._name` where
    `_name` is a private name of theirs, unless x is `self` or `cls` in a class of ours
    that derives from none of their classes; `super()._name`; a method `_name` of theirs
    overridden in a class deriving from theirs; getattr/setattr/hasattr/delattr with such a
    name."""

    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path = path
        self.imports = _imports(tree)
        self.in_reach = _in_reach(self.imports)
        self.theirs = library_private_names()
        self.classes: list[bool] = []  # per enclosing class: derives from theirs
        self.deriving: set[str] = set()  # classes of this module that derive from theirs
        self.found: list[str] = []

    def _derives(self, node: ast.ClassDef) -> bool:
        for base in node.bases:
            root = _root(base)
            if root is not None and (root in self.deriving or _theirs(self.imports.get(root, ""))):
                return True
        return False

    def _say(self, node: ast.AST, what: str) -> None:
        self.found.append(f"{self.path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}: {what}")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        derives = self._derives(node)
        if derives:
            self.deriving.add(node.name)
        self.classes.append(derives)
        self.generic_visit(node)
        self.classes.pop()

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if self.classes and self.classes[-1] and node.name in self.theirs:
            self._say(node, f"overrides {node.name}")
        self.generic_visit(node)

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if _private(node.attr) and node.attr in self.theirs:
            value = node.value
            own = (isinstance(value, ast.Name) and value.id in ("self", "cls")
                   and self.classes and not self.classes[-1])
            module = isinstance(value, ast.Name) and value.id in self.imports and \
                not _theirs(self.imports[value.id])  # a module of ours: its own name
            if self.in_reach and not (own or module):
                self._say(node, f".{node.attr}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in (
                "getattr", "setattr", "hasattr", "delattr") and len(node.args) >= 2:
            name = node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str) and \
                    _private(name.value) and name.value in self.theirs:
                self._say(node, f"{node.func.id}(..., {name.value!r})")
        self.generic_visit(node)


def scan(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    s = Scan(path, tree)
    s.visit(tree)
    return s.found


def adapter_uses() -> set[str]:
    """The libraries' private names the adapter reaches or overrides."""
    tree = ast.parse(ADAPTER.read_text(encoding="utf-8"))
    got: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            got.add(node.attr)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            got.add(node.name)
    return {n for n in got if _private(n) and n in library_private_names()}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_the_pinned_versions_are_installed(name: str) -> None:
    assert metadata.version(name) == PINNED[name], (
        f"{name} {metadata.version(name)} is installed, {PINNED[name]} is pinned: check every "
        "member listed in streams/kafka_internals.py against the new version before moving "
        "the pin")


def test_the_adapter_lists_exactly_the_members_it_uses() -> None:
    used, listed = adapter_uses(), set(kafka_internals.PRIVATE)
    assert used == listed, (f"streams/kafka_internals.py uses but does not list "
                            f"{sorted(used - listed)}, lists but does not use "
                            f"{sorted(listed - used)}")


@pytest.mark.parametrize("name", sorted(kafka_internals.PRIVATE))
def test_each_listed_member_is_there(name: str) -> None:
    for owner in kafka_internals.PRIVATE[name]:
        module, qualname = owner.split(":")
        cls = getattr(importlib.import_module(module), qualname)
        sources = "".join(inspect.getsource(c) for c in cls.__mro__
                          if c.__module__.split(".")[0] in LIBRARIES)
        assert hasattr(cls, name) or f"self.{name} =" in sources or f"self.{name}:" in sources, (
            f"{owner} has no {name} any more: streams/kafka_internals.py relies on it")


def test_no_other_module_touches_their_private_members() -> None:
    files = sorted(p for top in OURS for p in (ROOT / top).rglob("*.py")
                   if p.resolve() not in EXEMPT and ".venv" not in p.parts)
    assert len(files) > 50  # the scan reaches our code
    found = [f for p in files for f in scan(p)]
    assert not found, ("private members of faust/mode/aiokafka outside "
                       "streams/kafka_internals.py:\n" + "\n".join(found))


@pytest.mark.parametrize("source", [
    "import aiokafka\ndef f(c):\n    return c._read_offset\n",  # on one of their objects
    "from faust.transport.drivers import aiokafka as d\nclass C(d.Consumer):\n"
    "    def f(self):\n        return self._read_offset\n",  # in a subclass of theirs
    "from streams import kafka_internals\nclass C(kafka_internals.Consumer):\n"
    "    async def _drain_messages(self, f):\n        pass\n",  # a private hook overridden
    "import faust\nclass A(faust.App):\n    async def f(self):\n"
    "        await super()._on_partitions_assigned(set())\n",
    "def f(c):\n    setattr(c, '_fetch_max_wait_ms', 1)\n",  # monkeypatching by name
    "from streams.batching import BatchConsumer\ndef f(c: BatchConsumer):\n"
    "    c._read_offset.clear()\n",  # an object of theirs from a module of ours
])
def test_the_scan_finds_a_private_access(source: str) -> None:
    path = ROOT / "tests" / "unit" / "_scan_sample.py"  # only named, never written
    tree = ast.parse(source)
    s = Scan(path, tree)
    s.visit(tree)
    assert s.found


def test_the_scan_leaves_our_own_private_members_alone() -> None:
    source = ("class Mine:\n    def __init__(self):\n        self._read_offset = 0\n"
              "    def _add_gap(self):\n        return self._read_offset\n")
    tree = ast.parse(source)
    s = Scan(ROOT / "tests" / "unit" / "_scan_sample.py", tree)
    s.visit(tree)
    assert not s.found
