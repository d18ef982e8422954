"""Compile the pure core (streams/core) with mypyc into build/core, beside the sources.

    .venv/bin/python deploy/build_core.py

The compiled modules are a drop-in for the Python ones: the same files, typed strictly already,
turned into C extensions. They live in build/core, not beside the sources, so that the Python
core stays one environment variable away (JATKUMO_CORE=pure) and a stale build never shadows an
edited source: build/core/manifest.json records a hash of every compiled source, and
streams/core/__init__.py loads the compiled modules only while every hash still matches.
A machine without a C compiler keeps the Python core: the build says so and exits 0.

A build takes ~25 s of a core on a quiet machine and minutes on a loaded one, and every fresh
clone (CI's included) would build the same thing again: so each finished build is kept in a
cache outside the clone ($JATKUMO_BUILD_CACHE, else ~/.cache/jatkumo/core), under a key of
everything that goes into it (the compiled sources, this script, the Python, mypy and the C
compiler). A clone whose key is there copies the build instead of compiling; any change of an
input is another key, so a stale build is never taken (and the manifest still guards loading).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "core"
TEMP = ROOT / "build" / "core-temp"
sys.path.insert(0, str(ROOT))

from streams.core.compiled import COMPILED_MODULES, MANIFEST, source_hashes  # noqa: E402


def cache_dir() -> Path:
    home = os.environ.get("JATKUMO_BUILD_CACHE")
    if home:
        return Path(home)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "jatkumo" / "core"


def build_key(root: Path, compiler: str) -> str:
    """A hash of every input of the build: the same key means the same build."""
    import mypy.version

    inputs = {"python": sys.implementation.cache_tag, "mypy": mypy.version.__version__,
              "compiler": compiler, "builder": hashlib.sha256(
                  (root / "deploy" / "build_core.py").read_bytes()).hexdigest(),
              "sources": source_hashes(root)}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:32]


def compiler_version(cc: str) -> str:
    try:
        done = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return cc
    return f"{cc} {done.stdout.splitlines()[0] if done.stdout else ''}"


def restore(cached: Path, out: Path) -> bool:
    """Copy a cached build to `out`; False when the cache holds none under that key."""
    if not (cached / MANIFEST).is_file():
        return False
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(cached, out)
    return True


def keep(out: Path, cached: Path) -> None:
    """Put a finished build in the cache, whole or not at all (a copy renamed into place,
    so a concurrent setup never takes half a build). The cache only saves time: a failure
    to write it is reported, never fatal."""
    part = cached.with_name(f".{cached.name}.{os.getpid()}")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(part, ignore_errors=True)
        shutil.copytree(out, part)
        os.replace(part, cached)
    except OSError as e:  # another setup put the same build there first, or no room
        shutil.rmtree(part, ignore_errors=True)
        if not (cached / MANIFEST).is_file():
            print(f"build_core: build not cached ({e})", file=sys.stderr)


def main() -> int:
    cc = shutil.which(sysconfig.get_config_var("CC").split()[0] or "cc")
    if cc is None:
        print("build_core: no C compiler; the Python core is used", file=sys.stderr)
        return 0
    cached = cache_dir() / build_key(ROOT, compiler_version(cc))
    if restore(cached, OUT):
        print(f"build_core: {len(COMPILED_MODULES)} modules compiled into "
              f"{OUT.relative_to(ROOT)} (the same build, from {cached})")
        return 0
    from mypyc.build import mypycify  # mypy ships mypyc: a dev dependency, imported here only
    from setuptools import setup

    sources = [str(Path("streams", "core", f"{m}.py")) for m in COMPILED_MODULES]
    shutil.rmtree(OUT, ignore_errors=True)
    os.chdir(ROOT)  # mypyc names modules by their paths from here
    setup(name="jatkumo-core", packages=[], ext_modules=mypycify(sources, opt_level="3",
                                                             target_dir=str(TEMP)),
          script_args=["build_ext", "--build-lib", str(OUT), "--build-temp", str(TEMP), "-q"])
    (OUT / MANIFEST).write_text(json.dumps(
        {"python": sys.implementation.cache_tag, "sources": source_hashes(ROOT)}, indent=1))
    keep(OUT, cached)
    print(f"build_core: {len(sources)} modules compiled into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
