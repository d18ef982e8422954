"""A whole export -> events. Every event goes through the door (schemas.door), so what the
import writes is what replay, publish and HTTP would take; a row whose events the door refuses
is reported with its line number and reason and none of its events is written."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from schemas.door import DeadLetter, admit
from schemas.errors import UsageError
from schemas.hetu import mask_codes
from services.importer import build
from services.importer.mapping import load_mapping
from services.importer.table import EXTRA, Table, read_table
from services.importer.values import parse_date


@dataclass
class ImportReport:
    rows: int = 0
    events: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), codes masked
    encoding: str = ""
    delimiter: str = ""


def contract_map(path: Path) -> build.ContractOf:
    """A CSV of client_id (or client_hetu), contract_id, start_date and optional end_date: the
    contract of a client on a day, for attendance exports that name none."""
    table = read_table(path)
    if {"client_hetu", "client_id"} <= set(table.header):  # which one: not guessed
        raise UsageError(mask_codes(
            f"the contract map {path} has both client_id and client_hetu columns; keep the "
            "one the attendance export names its clients by"))
    who = "client_hetu" if "client_hetu" in table.header else "client_id"
    if not {who, "contract_id", "start_date"} <= set(table.header):
        # the header of a map without one is a client's row: its cells are masked too
        raise UsageError(mask_codes(
            f"the contract map {path} needs columns client_id (or client_hetu), contract_id, "
            f"start_date and optionally end_date; it has {table.header}"))
    spans: dict[str, list[tuple[date, date | None, str]]] = {}
    for line, row in table.rows:
        try:
            end = parse_date(row["end_date"]) if row.get("end_date") else None
            spans.setdefault(row[who], []).append(
                (parse_date(row["start_date"]), end, row["contract_id"]))
        except ValueError as e:
            raise UsageError(mask_codes(f"{path}:{line}: {e}")) from None

    def contract_of(client: str, day: date) -> str:
        hits = {k for s, e, k in spans.get(client, []) if s <= day and (e is None or day <= e)}
        if len(hits) != 1:
            what = "no contract" if not hits else f"{len(hits)} contracts"
            raise ValueError(f"the contract map gives {what} for this client on {day}")
        return hits.pop()

    return contract_of


Make = Callable[[dict[str, str]], list[dict[str, Any]]]  # one row -> its events


@dataclass(frozen=True)
class Plan:
    """An export read and checked against its mapping and contract map: what is left can only
    make bad rows, never stop the import, so the command opens its --out only after this."""
    path: Path
    table: Table
    make: Make


def plan_import(kind: str, path: Path, *, source: str, mapping: Path | None = None,
                recorded_at: datetime | None = None, contracts: Path | None = None) -> Plan:
    table = read_table(path)
    m = load_mapping(kind, mapping, table.header)
    contract_of = contract_map(contracts) if contracts is not None else None
    make: Make
    if kind == "attendance":
        def make(row: dict[str, str]) -> list[dict[str, Any]]:
            return build.attendance(m, row, source, recorded_at, contract_of)
    else:
        def make(row: dict[str, str]) -> list[dict[str, Any]]:
            return build.contract(m, row, source, recorded_at)
    return Plan(path, table, make)


def write_events(plan: Plan, out: BinaryIO, key: bytes | None) -> ImportReport:
    report = ImportReport(encoding=plan.table.encoding, delimiter=plan.table.delimiter)
    for line, row in plan.table.rows:
        report.rows += 1
        if EXTRA in row:
            report.bad.append((line, row[EXTRA]))
            continue
        try:
            events = plan.make(row)
        except ValueError as e:
            report.bad.append((line, mask_codes(str(e))))
            continue
        if key is not None:  # (without one the door refuses a code: no id is written)
            events = [build.keyed(e, key) for e in events]
        taken = [admit(orjson.dumps(e), f"{plan.path}:{line}", key) for e in events]
        refused = [t for t in taken if isinstance(t, DeadLetter)]
        if refused:
            report.bad.append((line, refused[0].reason))
            continue
        for t in taken:
            assert not isinstance(t, DeadLetter)
            out.write(t.model_dump_json(exclude_none=True).encode() + b"\n")
        report.events += len(taken)
    return report


def import_file(kind: str, path: Path, *, source: str, key: bytes | None, out: BinaryIO,
                mapping: Path | None = None, recorded_at: datetime | None = None,
                contracts: Path | None = None) -> ImportReport:
    plan = plan_import(kind, path, source=source, mapping=mapping, recorded_at=recorded_at,
                       contracts=contracts)
    return write_events(plan, out, key)
