"""Which core runs: the mypyc-compiled modules in build/core (deploy/build_core.py), or these
Python sources. The compiled ones are chosen when they exist, JATKUMO_CORE is not `pure`, and
every compiled source is byte for byte the source beside us (a hash per file in the build's
manifest): an edited rule must never be shadowed by a stale build."""

import hashlib
import json
import os
import sys
from pathlib import Path

# The hot path of a replay and of a worker: the door's fast path (plain), facts in, rules
# evaluated. Not this module, not `codec` (orjson, I/O-shaped) and not `__init__`.
COMPILED_MODULES = ("intervals", "timeline", "rules", "results", "handoff", "gaps", "state",
                    "evaluate", "event_ids", "horizon", "plain", "loadloop", "route")
MANIFEST = "manifest.json"
PURE = "pure"


def source_hashes(root: Path) -> dict[str, str]:
    return {m: hashlib.sha256((root / "streams" / "core" / f"{m}.py").read_bytes()).hexdigest()
            for m in COMPILED_MODULES}


def compiled_folder(root: Path) -> Path | None:
    """The build/core folder to load the compiled core from, or None for the Python core."""
    if os.environ.get("JATKUMO_CORE", "") == PURE:
        return None
    folder = root / "build" / "core"
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):  # any other JSON: not a build of ours
        return None
    if manifest.get("python") != sys.implementation.cache_tag:
        return None
    if manifest.get("sources") != source_hashes(root):
        return None
    return folder


def which() -> str:
    """`compiled` or `pure`: the core this process runs (after streams.core was imported)."""
    evaluate = sys.modules.get("streams.core.evaluate")
    origin = getattr(getattr(evaluate, "__spec__", None), "origin", "") or ""
    return "pure" if origin.endswith(".py") else "compiled"
