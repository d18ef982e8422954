"""The one way jatkumo starts worker processes (replay's workers, publish's publishers): from a
fork server that has imported, once, what they need.

Not fork: the caller may run threads (pyarrow's, DuckDB's, a progress bar), which fork would
copy half-held; forking such a process can deadlock. Not spawn: every child would import
jatkumo afresh (0.3-0.9 s of a core each).

A child of the fork server still runs the parent's main module again before its work (that is
how multiprocessing gives a child the parent's `__main__`): `jatkumo replay` (the console
script, or `python -m services.cli`) re-imported the whole command line in every worker,
aiohttp and the web server among it, 1.3-1.4 s of a core each. So the fork server imports
beforehand what the parent has imported of jatkumo's packages and of the main module's
package: the re-run then finds its imports done. Not the main module itself (run with -m):
runpy re-runs it in the child and warns when it finds it imported already. (Python 3.11's own
`"__main__"` preload never works for a script: it waits for a `main_path` that multiprocessing
never hands the fork server.)"""

import multiprocessing
import sys
from multiprocessing.context import ForkServerContext

OURS = ("analytics", "schemas", "services", "streams")  # pyproject.toml's packages


def fork_server(*modules: str) -> ForkServerContext:
    """The fork server context, preloading `modules` and what the main module's re-run imports
    (above). The server is one per process: what the first caller preloads is what every
    later one gets (a module not preloaded is imported by each child as usual)."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    packages = set(OURS)
    if isinstance(name, str):
        packages.add(name.partition(".")[0])
    # in the parent's import order; a main called __main__ (python -m pytest) is never re-run
    loaded = [m for m in list(sys.modules)
              if m.partition(".")[0] in packages and m != name and not m.endswith("__main__")]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([*loaded, *modules])
    return context
