"""Compile the pure core (streams/core) with mypyc into build/core, beside the sources.

    .venv/bin/python deploy/build_core.py

The compiled modules are a drop-in for the Python ones: the same files, typed strictly already,
turned into C extensions. They live in build/core, not beside the sources, so that the Python
core stays one environment variable away (JATKUMO_CORE=pure) and a stale build never shadows an
edited source: build/core/manifest.json records a hash of every compiled source, and
streams/core/__init__.py loads the compiled modules only while every hash still matches.
A machine without a C compiler keeps the Python core: the build says so and exits 0.
"""

import json
import os
import shutil
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "core"
TEMP = ROOT / "build" / "core-temp"
sys.path.insert(0, str(ROOT))

from streams.core.compiled import COMPILED_MODULES, MANIFEST, source_hashes  # noqa: E402


def main() -> int:
    if shutil.which(sysconfig.get_config_var("CC").split()[0] or "cc") is None:
        print("build_core: no C compiler; the Python core is used", file=sys.stderr)
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
    print(f"build_core: {len(sources)} modules compiled into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
