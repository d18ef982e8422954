"""The one way jatkumo starts worker processes (replay's workers, publish's publishers): from a
fork server that has imported, once, what they need.

Not fork: the caller may run threads (pyarrow's, DuckDB's, a progress bar), which fork would
copy half-held; forking such a process can deadlock. Not spawn: every child would import
jatkumo afresh (0.3-0.9 s of a core each).

A child of the fork server still runs the parent's main module again before its work (that is
how multiprocessing gives a child the parent's `__main__`): `jatkumo replay` (the console
script, or `python -m services.cli`) re-imported the whole command line in every worker,
aiohttp and the web server among it, 1.3-1.4 s of a core each. So what that re-run imports is
imported in the fork server already: the module run with -m, and the command line when it is
what runs (Python 3.11's fork server cannot preload a main script itself: its `"__main__"`
preload waits for a `main_path` that multiprocessing never hands it)."""

import multiprocessing
import sys
from multiprocessing.context import ForkServerContext


def fork_server(*modules: str) -> ForkServerContext:
    """The fork server context, preloading the main module and `modules`. The server is one
    per process: what the first caller preloads is what every later one gets (the modules
    not preloaded are imported by each child as usual)."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    preload: list[str] = []
    # a child never re-runs a main called __main__ (python -m pytest)
    if isinstance(name, str) and not name.endswith("__main__"):
        preload.append(name)
    if "services.cli" in sys.modules:  # the console script's one import
        preload.append("services.cli")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([*preload, *modules])
    return context
