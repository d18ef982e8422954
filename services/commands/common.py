"""Argument types shared by the subcommands: each says what to do when it is wrong."""

import argparse
from dataclasses import replace
from datetime import date
from pathlib import Path

from services import config


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
