"""One module per `jatkumo` subcommand; each exposes `register(subparsers)` that adds its parser
and sets `run`. Add a command by writing a module and naming it in COMMANDS.

A command's module is imported only when it runs: each imports what its own command needs
(pyarrow for replay, aiohttp and the Kafka clients for the gateway and the workers, the web
app for serve), and importing all of them cost every command about 0.5 s of a core more at
start (`jatkumo sql` 1.1 s -> 0.5 s, measured with -X importtime on 2026-12-06)."""

import argparse
import importlib
from collections.abc import Callable
from typing import Any

Register = Callable[[Any], argparse.ArgumentParser]

# command -> its module in services.commands, in the order `jatkumo --help` lists them
COMMANDS: dict[str, str] = {
    "replay": "replay", "sql": "sql", "schema": "schema",
    "kafka": "kafka", "publish": "publish", "worker": "worker", "sink": "sink", "run": "run",
    "serve": "serve",
    "simulate": "simulate", "demo": "demo",
    "import": "import_", "token": "token", "ingest": "ingest",
    "audit": "audit",
}


def registers(argv: list[str]) -> list[Register]:
    """The register of the command `argv` names first, or of every command when it names
    none we know (`--help`, a typo: the help and the error list them all)."""
    wanted = [COMMANDS[argv[0]]] if argv and argv[0] in COMMANDS else list(COMMANDS.values())
    return [importlib.import_module(f"{__name__}.{m}").register for m in wanted]
