"""The one DuckDB writer. It owns the file, creates the relations, and appends in Arrow batches
inside a transaction, so a failed run leaves the file as it was."""

import contextlib
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from analytics import columns as cols
from analytics.relations import create_all
from schemas.errors import StoreError
from schemas.reference import municipalities
from streams.core.results import ClientResult

EVENTS = {"event_id": "str", "event_type": "str", "occurred_at": "ts", "effective_date": "date",
          "source": "str", "client_id": "str", "payload": "json"}
DEAD_LETTERS = {"raw": "str", "reason": "str", "origin": "str"}
CONTRACTS = {"contract_id": "str", "client_id": "str", "service": "str", "organizer": "str",
             "producer_id": "str", "producer_kind": "str", "municipality": "str",
             "start_date": "date", "last_day": "date", "end_reason": "str",
             "signed_organizer": "str", "planned_end_date": "date", "suspended": "bool"}
GAPS = {"client_id": "str", "gap_type": "str", "subject_id": "str", "started_on": "date",
        "ended_on": "date", "length_days": "int"}
HANDOFFS = {"contract_id": "str", "client_id": "str", "service": "str", "municipality": "str",
            "producer_id": "str", "status": "str", "transferred_on": "date"}
VIOLATIONS = {"client_id": "str", "contract_id": "str", "violation_type": "str",
              "on_date": "date"}
ISSUES = {"event_id": "str", "client_id": "str", "issue": "str"}
CLIENTS = {"client_id": "str", "birth_year": "int", "home_municipality": "str",
           "referred_by": "str", "registered_on": "date"}
REFERRALS = {"referral_id": "str", "client_id": "str", "target": "str", "made_on": "date",
             "started_on": "date", "closed_on": "date", "outcome": "str"}
MUNICIPALITIES = {"code": "str", "name_fi": "str", "name_sv": "str", "region_code": "str",
                  "region_name_fi": "str", "internal_area": "str", "population": "int"}


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except (duckdb.IOException, duckdb.Error) as e:
        raise StoreError(
            f"cannot open the DuckDB file {path}: {e}. Check the path, and that no other "
            "jatkumo process (replay, sink) is writing it."
        ) from e


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.con = connect(path)

    def insert(self, relation: str, tbl: pa.Table) -> None:
        if tbl.num_rows:
            self.con.register("_batch", tbl)
            self.con.execute(f"INSERT INTO {relation} SELECT * FROM _batch")
            self.con.unregister("_batch")

    def insert_rows(self, relation: str, spec: dict[str, str], rows: Sequence[Any]) -> None:
        self.insert(relation, cols.table(spec, rows))

    def begin_rebuild(self) -> None:
        """Start the transaction of a full rebuild: every relation dropped and created anew."""
        self.con.begin()
        create_all(self.con)
        self.insert_rows("municipalities", MUNICIPALITIES, [
            (m.code, m.name_fi, m.name_sv, m.region_code, m.region_name_fi, m.internal_area,
             m.population) for m in municipalities().values()])

    def set_as_of(self, as_of: date) -> None:
        self.con.execute("DELETE FROM as_of")
        self.con.execute("INSERT INTO as_of VALUES (?)", [as_of])

    def write_results(self, results: Iterable[ClientResult]) -> None:
        buf: dict[str, list[Any]] = {k: [] for k in (
            "contracts", "gap_rows", "handoff_status", "compliance_violations", "data_issues",
            "clients", "referrals")}
        for r in results:
            buf["contracts"] += r.contracts
            buf["gap_rows"] += r.gaps
            buf["handoff_status"] += r.handoffs
            buf["compliance_violations"] += r.violations
            buf["data_issues"] += r.issues
            buf["referrals"] += r.referrals
            if r.client is not None:
                buf["clients"].append(r.client)
            else:
                buf["clients"].append((r.client_id, None, None, None, None))
            if len(buf["contracts"]) >= 100_000:
                self._flush(buf)
        self._flush(buf)

    def _flush(self, buf: dict[str, list[Any]]) -> None:
        specs = {"contracts": CONTRACTS, "gap_rows": GAPS, "handoff_status": HANDOFFS,
                 "compliance_violations": VIOLATIONS, "data_issues": ISSUES,
                 "clients": CLIENTS, "referrals": REFERRALS}
        for name, rows in buf.items():
            self.insert_rows(name, specs[name], rows)
            rows.clear()

    def commit(self) -> None:
        self.con.commit()

    def rollback_quietly(self) -> None:
        # Called while another error propagates; that error is the one worth reporting.
        with contextlib.suppress(duckdb.Error):
            self.con.rollback()

    def close(self) -> None:
        self.con.close()
