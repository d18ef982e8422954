"""The pure core of jatkumo: per-client facts, the rules of SPEC.md, no I/O.

    state = ClientState(client_id); apply(state, event); evaluate(state, as_of, rules)

Its hot modules may run compiled by mypyc (deploy/build_core.py; streams.core.compiled says
when): the compiled folder then comes first on this package's path, so `streams.core.X` is the
extension module, and the same tests run against both (JATKUMO_CORE=pure for the Python one).
"""

import sys
from pathlib import Path

from streams.core.compiled import compiled_folder

_folder = compiled_folder(Path(__file__).resolve().parent.parent.parent)
if _folder is not None:
    # mypyc's shared runtime module is top-level; the package modules are under streams/core.
    sys.path.insert(0, str(_folder))
    __path__.insert(0, str(_folder / "streams" / "core"))

from streams.core.evaluate import evaluate  # noqa: E402
from streams.core.results import ClientResult  # noqa: E402
from streams.core.rules import GAP_TYPES, Rules  # noqa: E402
from streams.core.state import ClientState, apply  # noqa: E402

__all__ = ["GAP_TYPES", "ClientResult", "ClientState", "Rules", "apply", "evaluate"]
