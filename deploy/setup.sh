#!/usr/bin/env bash
# Sets up everything jatkumo needs on a fresh Debian machine, idempotently:
#   bash deploy/setup.sh          the Python environment in .venv (enough for replay, sql, demo)
#   bash deploy/setup.sh --test   also what the tests need (Kafka jars, chromium, alertmanager)
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    *) echo "setup.sh: unknown option $arg (use --test for the test dependencies)" >&2; exit 2 ;;
  esac
done

# The test dependencies (Kafka jars from Maven, Debian packages) need nothing of the Python
# environment: they are fetched in the background while it is built (one after another, as
# two apt-get must not run at once), into a log shown, and its status checked, at the end.
extras_pid=""
if [ "$want_test" = 1 ]; then
  extras_log=$(mktemp)
  (
    set -e
    for extra in deploy/setup.d/*.sh; do
      [ -e "$extra" ] || continue
      echo "setup: $extra"
      bash "$extra"
    done
  ) > "$extras_log" 2>&1 &
  extras_pid=$!
fi

py=$(command -v python3.11 || command -v python3)
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
# The tested versions, not the newest: uv installs exactly what uv.lock pins (with hashes),
# then jatkumo itself, editable. uv itself is pinned here. --inexact keeps pip and uv in .venv.
# After changing pyproject.toml's dependencies, run `.venv/bin/uv lock` and commit uv.lock.
uv_version=0.13.9
if [ "$(.venv/bin/uv --version 2>/dev/null | cut -d' ' -f2)" != "$uv_version" ]; then
  .venv/bin/python -m pip install -q "uv==$uv_version"
fi
# --compile-bytecode, and compileall for jatkumo's own packages: where PYTHONDONTWRITEBYTECODE
# is set (this machine sets it), Python never writes a .pyc, and every process compiled every
# module it imports from source, each time: a worker's or a command's start-up doubled
# (importing the command line: 1.6 s of a core, 0.7 s with the .pyc files). A source changed
# later is compiled again in memory, as Python does for a stale .pyc.
.venv/bin/uv sync --quiet --frozen --inexact --all-extras --python .venv/bin/python \
  --compile-bytecode
.venv/bin/python -m compileall -q -j 0 analytics schemas services streams > /dev/null
# The rules' hot modules compiled by mypyc (about 25 s of a core); the Python core is the
# fallback (deploy/build_core.py, streams/core/compiled.py).
if ! .venv/bin/python deploy/build_core.py > build-core.log 2>&1; then
  echo "setup: the compiled core did not build (see build-core.log); the Python core is used" >&2
fi
tail -n 1 build-core.log

if [ -n "$extras_pid" ]; then
  status=0
  wait "$extras_pid" || status=$?
  cat "$extras_log"
  rm -f "$extras_log"
  if [ "$status" != 0 ]; then
    echo "setup: the test dependencies failed (status $status, see above)" >&2
    exit 1
  fi
fi
echo "setup: ready (.venv)"
