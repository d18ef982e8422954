"""Argument types shared by the subcommands: each says what to do when it is wrong."""

import argparse
from datetime import date
from pathlib import Path


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2023-03-31") from None


def readable_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(
            f"cannot read {text!r}: no such file; give the path of a JSONL event file")
    return path


def existing_db(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(
            f"no DuckDB file at {text!r}; create one with 'jatkumo replay FILE --db {text}'")
    return path
