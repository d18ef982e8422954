"""Argument types shared by the subcommands: each says what to do when it is wrong."""

import argparse
import contextlib
import errno
import os
import secrets
import select
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, TextIO, TypeVar

import rich.console

from schemas.errors import ConfigError, UsageError
from services import config
from services.replay_files import duckdb_header, same_file


class Console(rich.console.Console):
    """rich's console, save for a reader that closes standard output (`| head`): rich's own
    answer is a silent exit 1 from deep inside a print; this raises the BrokenPipeError that
    `services.cli.main` answers for every command alike (`output_closed`, `reader_gone`).
    Emoji codes off: rich turned `:one::three:` in a file's name into keycap digits after
    the name's identity codes were masked (a hunt, 2026-12-06: `1️⃣3️⃣1️⃣0️⃣5️⃣2️⃣-3️⃣0️⃣8️⃣T` on
    simulate's standard output)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("emoji", False)
        super().__init__(*args, **kwargs)

    def on_broken_pipe(self) -> None:
        self.quiet = True  # as rich does: nothing more is sent to a pipe no one reads
        if threading.current_thread() is threading.main_thread():  # not a progress refresh
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def _unread(stream: TextIO) -> bool:
    """Whether no one reads `stream` any more: a pipe's write end polls as an error once its
    last reader has gone."""
    poller = select.poll()
    try:
        poller.register(stream.fileno(), select.POLLOUT)
    except (ValueError, OSError):  # closed, or not a file
        return False
    return any(ev & select.POLLERR for _, ev in poller.poll(0))


def output_closed() -> bool:
    """Whether the reader of standard output or error has gone. Asked of a BrokenPipeError,
    which can come from any pipe (a child's, a socket's): only one of these is the reader's
    doing, and no bug."""
    return _unread(sys.stdout) or _unread(sys.stderr)


def reader_gone(command: str) -> int:
    """`jatkumo sql ... --csv | head`: the reader stopped reading. Said in one line on stderr
    if anyone reads it, as a filter stops, status 1 (the output asked for was cut short; what
    the command wrote to its files stands); the closed stream pointed at nothing so that its
    last flush at exit cannot fail."""
    said = not _unread(sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        if _unread(stream):
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    if said:
        print(f"jatkumo {command}: stopped: the reader of standard output closed it",
              file=sys.stderr, flush=True)
    return 1


def iso_date(text: str) -> date:
    """A date of the command line: YYYY-MM-DD within the years every event date lies in (an
    as-of date in year 1 left no room for the months before it, and crashed the pages)."""
    try:
        return config.parse_date(text, "the date")
    except ConfigError as e:
        raise argparse.ArgumentTypeError(f"{e}, e.g. 2023-03-31") from None


def _unusable(text: str) -> str | None:
    """Why the system refuses to look at a path at all (a name too long, a loop), or None."""
    try:
        Path(text).exists()
    except OSError as e:  # exists() swallows most errors, not ENAMETOOLONG
        return e.strerror or str(e)
    return None


def readable_file(text: str) -> Path:
    path = Path(text)
    refused = _unusable(text)
    if refused is not None:
        raise argparse.ArgumentTypeError(f"cannot read {text!r}: {refused}; give another path")
    if path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text!r} is a folder; give the path of a file in it")
    if not path.is_file():
        what = "no such file" if not path.exists() else "not a regular file"
        raise argparse.ArgumentTypeError(
            f"cannot read {text!r}: {what}; give the path of a file to read")
    return path


N = TypeVar("N", int, float)


def number_in(text: str, kind: type[N], low: N, high: N) -> N | None:
    """The number `text` writes if it is within low..high, else None (NaN is in no range)."""
    try:
        value = kind(text)
    except ValueError:
        return None
    return value if low <= value <= high else None


def tcp_port(text: str) -> int:
    """A TCP port of the command line: 1-65535 (99999 and -1 got as far as the bind)."""
    port = number_in(text, int, 1, 65535)
    if port is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port; give one of 1-65535")
    return port


def process_count(text: str) -> int:
    """A number of processes of the command line: 1-256 (0 and -3 ran one in silence)."""
    n = number_in(text, int, 1, 256)
    if n is None:
        raise argparse.ArgumentTypeError(f"{text!r} is no number of processes; give one of 1-256")
    return n


def tcp_port_or_off(text: str) -> int:
    """`tcp_port`, or 0: off."""
    return 0 if text.strip() == "0" else tcp_port(text)


def existing_db(text: str) -> Path:
    path = Path(text)
    if _unusable(text) is not None or not path.is_file():
        raise argparse.ArgumentTypeError(
            f"no DuckDB file at {text!r}; create one with 'jatkumo replay FILE --db {text}'")
    return path


def out_folder(text: str, option: str = "--out") -> Path:
    """A folder a command writes its files into, created if missing. A file in the way, a
    folder that cannot be made (a file as one of its parents, /proc) and a name that is not
    UTF-8 (DuckDB opens no such path: the demo found that out after simulating) are usage
    errors before anything is written; they were tracebacks (attack, 2026-12-05)."""
    out = Path(text)
    if not text:  # Path("") is the working folder: files were written there unasked
        raise UsageError(f"{option} is empty; give a folder (it is created if missing)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{option} {text}: a folder's name must be written in UTF-8 (DuckDB "
                         "opens no other path); give another name") from None
    refused = _unusable(text)
    if refused is not None:
        raise UsageError(f"{option} {text}: {refused}; give another folder")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{option} {text} is a file; give a folder (it is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{option} {text}: cannot make the folder ({e.strerror}); give a "
                         "folder you may write in") from None
    refused = takes_no_file(out)
    if refused is not None:  # /proc/self: a traceback at the first write
        raise UsageError(f"{option} {text}: cannot write in the folder ({refused}); give a "
                         "folder you may write in")
    return out


def takes_no_file(folder: Path) -> str | None:
    """Why `folder` takes no new file (the system's words), or None: one is made and gone."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        return e.strerror or str(e)
    return None


def writable_file(text: str | None, option: str) -> Path | None:
    """A file a command is to write (None: not asked for): not a folder, in a folder that
    exists, checked before anything is written (an import wrote --out, then failed on an
    --errors that was a folder)."""
    if text is None:
        return None
    path = Path(text)
    refused = _unusable(text)
    if refused is not None:
        raise UsageError(f"{option} {text}: {refused}; give another file name")
    if path.is_dir():
        raise UsageError(f"{option} {text} is a folder; give a file name to write, "
                         f"e.g. {text}/events.jsonl")
    if not path.parent.is_dir():
        raise UsageError(f"{option}: folder {path.parent} does not exist; create it or write "
                         "elsewhere")
    if path.is_file() and duckdb_header(path):  # (attack, 2026-12-05: simulate --out a.duckdb
        # replaced the relations with JSONL, where replay --db refuses the opposite)
        raise UsageError(f"{option} {text} is a DuckDB database, which this would replace; "
                         "give another file name")
    return path


def no_identity_code(what: str, text: str, thing: str) -> None:
    """Refuse a name given on the command line that holds an identity code as the door reads
    it (a code hidden by a zero-width space too): `thing` names a system, never a person."""
    from schemas.door import seen_code
    from schemas.hetu import mask_codes

    if seen_code(text):
        raise UsageError(mask_codes(f"{what} {text} holds an identity code, and {thing} names "
                                    "a system, never a person; give the system's name"))


def users_own(mode: int) -> int:
    """A file's permissions without any for its group or others."""
    return stat.S_IMODE(mode) & 0o700


def private(*paths: Path | None) -> None:
    """Take group and other permissions from files a command is about to write over: a file
    opened for writing keeps its mode, so an events file once made readable to all stayed so
    after jatkumo wrote client ids into it (attack, 2026-12-05), while every file jatkumo
    makes is its own user's only (services.cli)."""
    for path in paths:
        if path is None:
            continue
        try:
            st = path.stat()
            if stat.S_ISREG(st.st_mode) and users_own(st.st_mode) != stat.S_IMODE(st.st_mode):
                os.chmod(path, users_own(st.st_mode))
        except OSError:  # not there, or not ours to change: the write says what is wrong
            continue


def distinct_files(files: dict[str, Path | None]) -> None:
    """Refuse a file named twice among what a command reads and writes (by its option): an
    import with --errors naming its export emptied the export and said nothing. Two names
    are one file through a symlink or a hard link too (attack, 2026-12-04: an --out
    hard-linked to the export emptied the export)."""
    seen: list[tuple[Path, str]] = []
    for option, path in files.items():
        if path is None:
            continue
        for earlier, earlier_option in seen:
            if same_file(earlier, path):
                raise UsageError(f"{earlier_option} and {option} name the same file {path}; "
                                 "give each a file of its own")
        seen.append((path, option))


@contextlib.contextmanager
def replaced_on_success(path: Path, option: str) -> Iterator[BinaryIO]:
    """A file to write that takes the place of `path` only when the block ends without an
    error: written beside it under another name, then renamed over it. A run that fails
    (a bad export, a full disk, Ctrl-C) leaves an existing file as it was (attack,
    2026-12-04: an import refused for its mapping had emptied the --out of an earlier run)."""
    try:
        before: os.stat_result | None = path.stat()  # through a symlink, as a write goes
    except FileNotFoundError:
        before = None
    if before is not None and not stat.S_ISREG(before.st_mode):
        # a device, a FIFO or a pipe (/dev/null, /dev/stdout into `| gzip`): a stream, with
        # nothing to keep, written as named (its resolved path under /proc may not exist,
        # and renaming over /dev/null would replace the device itself)
        with open(path, "wb") as stream:
            yield stream
        return
    target = path.resolve()  # through a symlink: the file it names is replaced, not the link
    part = target.with_name(f".{target.name[:200]}.{secrets.token_hex(4)}.part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as e:
        raise UsageError(f"{option} {path}: cannot write in its folder ({e.strerror}); give a "
                         "file in a folder you can write") from None
    try:
        if before is not None:  # the file's own mode, no more than its user's (see private)
            os.fchmod(fd, users_own(before.st_mode))
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())  # the new content is on the disk before its name is
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


BOOTSTRAP_HELP = "Kafka bootstrap servers (default JATKUMO_BOOTSTRAP or 127.0.0.1:9092)"


def add_bootstrap(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bootstrap", metavar="HOST:PORT[,…]", help=BOOTSTRAP_HELP)


def kafka_settings(args: argparse.Namespace) -> config.KafkaSettings:
    """Kafka settings from the environment, with this command's options on top."""
    if args.bootstrap:  # the option wins, and is checked as the variable is (a review)
        try:
            kafka = config.load_kafka({**os.environ, "JATKUMO_BOOTSTRAP": args.bootstrap})
        except ConfigError as e:
            raise UsageError(str(e).replace("JATKUMO_BOOTSTRAP", "--bootstrap")) from None
    else:
        kafka = config.load_kafka()
    if getattr(args, "as_of", None):
        kafka = replace(kafka, as_of=args.as_of)
        config.load_kafka({"JATKUMO_AS_OF": args.as_of})  # validates it
    if getattr(args, "web_port", None) is not None:
        kafka = replace(kafka, worker_web_port=args.web_port)
    if getattr(args, "data_dir", None):
        kafka = replace(kafka, worker_dir=args.data_dir)
    return kafka
