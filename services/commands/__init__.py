"""One module per `jatkumo` subcommand; each exposes `register(subparsers)` that adds its parser
and sets `run`. Add a command by writing a module and listing its register here."""

import argparse
from collections.abc import Callable
from typing import Any

from services.commands import kafka, publish, replay, run, schema, sink, sql, worker

Register = Callable[[Any], argparse.ArgumentParser]
REGISTRY: list[Register] = [replay.register, sql.register, schema.register]
REGISTRY += [kafka.register, publish.register, worker.register, sink.register, run.register]

from services.commands import serve  # noqa: E402  (kept apart: several people add commands)

REGISTRY += [serve.register]

from services.commands import demo, simulate  # noqa: E402  (the simulator's commands)

REGISTRY += [simulate.register, demo.register]

from services.commands import import_, ingest, token  # noqa: E402  (sources over HTTP, CSV)

REGISTRY += [import_.register, token.register, ingest.register]

from services.commands import audit  # noqa: E402  (the declared grain of a file)

REGISTRY += [audit.register]
