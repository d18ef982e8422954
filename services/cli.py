"""The `jatkumo` command line. Exit status: 0 finished, 2 usage error, 1 failure (SPEC.md 6)."""

import argparse
import errno
import io
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO, cast

from schemas.errors import ConfigError, JatkumoError, UsageError
from schemas.hetu import mask_codes
from services import commands, config
from services.commands.common import output_closed, reader_gone

EPILOG = """\
examples:
  jatkumo replay events.jsonl --db gaps.duckdb
  jatkumo replay events.jsonl --db gaps.duckdb --as-of 2023-03-31
  jatkumo sql "SELECT gap_type, count(*) FROM continuity_gaps GROUP BY ALL" --db gaps.duckdb
  jatkumo schema --out schemas-json/
  jatkumo audit --db gaps.duckdb

environment:
  JATKUMO_PSEUDONYM_KEY   secret key that turns identity codes (client_hetu) into pseudonyms;
                          without it, events carrying client_hetu become dead letters
  JATKUMO_CUTOVER         cutover date, default 2023-01-01
  JATKUMO_THRESHOLDS      e.g. SERVICE_BREAK=30,REFERRAL_STALLED.mental_health=28
  JATKUMO_AREAS_FILE      CSV code,internal_area: your own grouping of municipalities
"""


def _no_broker(e: BaseException) -> bool:
    """Whether `e` is a Kafka client's "nobody answers at the bootstrap address" (kafka-python's
    NoBrokersAvailable, aiokafka's KafkaConnectionError), told by name: importing either
    client here would slow every command down."""
    return (type(e).__name__ in ("NoBrokersAvailable", "KafkaConnectionError")
            and type(e).__module__.split(".")[0] in ("kafka", "aiokafka"))


def _bootstrap(args: argparse.Namespace) -> str:
    given: str | None = getattr(args, "bootstrap", None)
    try:
        return given or config.load_kafka().bootstrap
    except ConfigError:
        return "the configured address"


class MaskedStream(io.TextIOBase):
    """A text stream that masks identity codes in each write before the stream it wraps sees
    it. Errors repeat what was typed (a file named after a client, an --as-of, the SQL line
    DuckDB points at), and a code exists nowhere after the door, stderr included (SPEC.md
    1.2). In an error message, masking too much costs nothing."""

    def __init__(self, wrapped: TextIO) -> None:
        super().__init__()
        self.wrapped = wrapped

    def write(self, text: str) -> int:
        self.wrapped.write(mask_codes(text))
        return len(text)  # what the caller gave: print and logging count their own text

    def flush(self) -> None:
        self.wrapped.flush()

    def fileno(self) -> int:
        return self.wrapped.fileno()

    def isatty(self) -> bool:
        return self.wrapped.isatty()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.wrapped.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return self.wrapped.errors


def mask_stderr() -> None:
    """Everything this process writes to sys.stderr from now on goes through MaskedStream:
    argparse, print and the logging handlers made later (they take sys.stderr when made). A
    handler made before, at an import, is pointed at the wrapper too."""
    if sys.stderr is None or isinstance(sys.stderr, MaskedStream):
        # no stderr at all (2>&-: nothing to mask, and a wrapper of None failed the exit), or
        # main called again in the same process: one mask is enough
        return
    raw = sys.stderr
    sys.stderr = cast(TextIO, MaskedStream(raw))
    loggers = [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values()
                                      if isinstance(lg, logging.Logger))]
    for handler in (h for lg in loggers for h in lg.handlers):
        if isinstance(handler, logging.StreamHandler) and handler.stream is raw:
            handler.setStream(sys.stderr)


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\nRun '{self.prog} --help' to see how.\n")


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The command line's parser, holding the command `argv` names (or every command)."""
    p = Parser(prog="jatkumo", description="Follow young people's KTT and SOSKU services across "
               "the handoff from municipalities to the wellbeing area, and find the days they "
               "fell between organisations.", epilog=EPILOG,
               formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for register in commands.registers(list(sys.argv[1:] if argv is None else argv)):
        register(sub)
    return p


# Errors of the machine, not of jatkumo: a full disk, a quota, a read-only file system.
_MACHINE_STATES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


def private_files() -> None:
    """Every file jatkumo makes (the relations, the web file with its access log and its
    reference key, exports, logs) readable by its own user only, whatever the umask said:
    the bits for group and others are added to it, never taken away (attack, 2026-12-04:
    the DuckDB and web files were 0644)."""
    os.umask(os.umask(0) | 0o077)


def main(argv: Sequence[str] | None = None) -> int:
    mask_stderr()  # before parsing: usage errors repeat the arguments
    private_files()
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        config.apply_reference()
        config.check_core(os.environ)
        return run(args)
    except (UsageError, ConfigError) as e:
        print(f"jatkumo {args.command}: error: {e}", file=sys.stderr)
        return 2
    except JatkumoError as e:
        print(f"jatkumo {args.command}: failed: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # no word on what was kept: replay and import replace their files only when done, but
        # simulate writes as it goes and the sink has committed its earlier batches
        print(f"jatkumo {args.command}: interrupted.", file=sys.stderr)
        return 1
    except Exception as e:
        if isinstance(e, OSError) and e.errno in _MACHINE_STATES:
            # the machine's state, not a bug (simulate --out /dev/full ended in a traceback)
            where = f" {e.filename}" if e.filename else ""
            print(f"jatkumo {args.command}: failed: cannot write{where}: {e.strerror}. Free "
                  "some space or write elsewhere.", file=sys.stderr)
            return 1
        if isinstance(e, BrokenPipeError) and output_closed():  # `| head`: not a bug
            return reader_gone(args.command)
        if _no_broker(e):  # a machine's state, not a bug: say which address and what to do
            print(f"jatkumo {args.command}: failed: no Kafka broker answers at "
                  f"{_bootstrap(args)}. Start one (jatkumo kafka up) or give its address "
                  "with --bootstrap or JATKUMO_BOOTSTRAP.", file=sys.stderr)
            return 1
        # a bug: say so plainly, with the trace for the report
        traceback.print_exc(file=sys.stderr)
        # (it said "Nothing was committed", which a failure after replay's last rename made
        # untrue: what each command keeps of its work is in its own messages and docs)
        print(f"jatkumo {args.command}: failed unexpectedly ({type(e).__name__}: {e}). This is "
              "a bug in jatkumo: please report it with the trace above.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
