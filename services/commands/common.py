"""Argument types shared by the subcommands: each says what to do when it is wrong."""

import argparse
from dataclasses import replace
from datetime import date
from pathlib import Path

from schemas.errors import ConfigError
from services import config


def iso_date(text: str) -> date:
    """A date of the command line: YYYY-MM-DD within the years every event date lies in (an
    as-of date in year 1 left no room for the months before it, and crashed the pages)."""
    try:
        return config.parse_date(text, "the date")
    except ConfigError as e:
        raise argparse.ArgumentTypeError(f"{e}, e.g. 2023-03-31") from None


def readable_file(text: str) -> Path:
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(
            f"{text!r} is a folder; give the path of a JSONL event file in it")
    if not path.is_file():
        what = "no such file" if not path.exists() else "not a regular file"
        raise argparse.ArgumentTypeError(
            f"cannot read {text!r}: {what}; give the path of a JSONL event file")
    return path


def existing_db(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(
            f"no DuckDB file at {text!r}; create one with 'jatkumo replay FILE --db {text}'")
    return path


BOOTSTRAP_HELP = "Kafka bootstrap servers (default JATKUMO_BOOTSTRAP or 127.0.0.1:9092)"


def add_bootstrap(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bootstrap", metavar="HOST:PORT[,…]", help=BOOTSTRAP_HELP)


def kafka_settings(args: argparse.Namespace) -> config.KafkaSettings:
    """Kafka settings from the environment, with this command's options on top."""
    kafka = config.load_kafka()
    if args.bootstrap:
        kafka = replace(kafka, bootstrap=args.bootstrap)
    if getattr(args, "as_of", None):
        kafka = replace(kafka, as_of=args.as_of)
        config.load_kafka({"JATKUMO_AS_OF": args.as_of})  # validates it
    if getattr(args, "web_port", None) is not None:
        kafka = replace(kafka, worker_web_port=args.web_port)
    if getattr(args, "data_dir", None):
        kafka = replace(kafka, worker_dir=args.data_dir)
    return kafka
