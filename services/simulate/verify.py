"""The demo's proof: the truth the simulator wrote (expect.py) against jatkumo's relations, row
by row. A gap matches only with the same client, type, subject, start and end; a violation with
the same client, contract, type and date; a handoff status with the same handoff, contract,
status and transfer date. Recall and precision are per type, over every gap the simulation
causes (injected or natural), so a false gap lowers precision and a shifted one shows twice:
as a date that differs. Any difference, or an injection that caused nothing, fails the proof."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson

from schemas.hetu import pseudonymise

GAPS = """SELECT client_id, gap_type, subject_id, started_on::VARCHAR, ended_on::VARCHAR
          FROM continuity_gaps"""
VIOLATIONS = """SELECT client_id, violation_type, contract_id, on_date::VARCHAR, NULL
                FROM compliance_violations"""
STATUSES = """SELECT client_id, handoff, contract_id, status, transferred_on::VARCHAR
              FROM handoff_status"""

Key = tuple[str, str, str | None]  # (client, type, subject: contract, referral or handoff)
Value = tuple[str | None, str | None]  # (start or status, end or date)


@dataclass
class Score:
    truth: int = 0
    found: int = 0
    matched: int = 0

    @property
    def recall(self) -> float:
        return self.matched / self.truth if self.truth else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0


@dataclass(frozen=True)
class Difference:
    what: str  # "missed", "false" or "differs"
    relation: str  # continuity_gaps, compliance_violations, handoff_status
    client: str
    type: str  # gap or violation type, or the handoff's name
    subject: str | None
    expected: Value | None
    found: Value | None
    kind: str | None  # the cause in the truth

    def __str__(self) -> str:
        def show(v: Value | None) -> str:
            if v is None:
                return "nothing"
            if self.relation == "compliance_violations":
                return f"on {v[0]}"
            if self.relation == "handoff_status":
                return f"{v[0]}" + (f" on {v[1]}" if v[1] else "")
            return f"{v[0]} .. {v[1] or 'open'}"

        about = f"{self.type} {self.client}" + (f" {self.subject}" if self.subject else "")
        cause = f" [{self.kind}]" if self.kind else ""
        return f"{self.what:7} {about}{cause}: expected {show(self.expected)}, found " \
               f"{show(self.found)}"


@dataclass
class Comparison:
    scores: dict[str, Score] = field(default_factory=dict)  # gap, violation type, `handoff:N`
    kinds: dict[str, list[int]] = field(default_factory=dict)  # cause -> [exact, expected]
    natural: Counter[tuple[str, str]] = field(default_factory=Counter)  # (type, why) -> n
    unobservable: list[dict[str, Any]] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences and not self.unobservable


def load_truth(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]


def _label(row: dict[str, Any]) -> str:
    handoff = row.get("handoff")
    kind = str(row["kind"])
    return kind if handoff in (None, "2023") else f"{kind}@{handoff}"


def compare(con: duckdb.DuckDBPyConnection, truth: Iterable[dict[str, Any]],
            key: bytes | None) -> Comparison:
    out = Comparison()
    expected: dict[str, dict[Key, list[tuple[Value, dict[str, Any]]]]] = {
        "continuity_gaps": {}, "compliance_violations": {}, "handoff_status": {}}
    for row in truth:
        what = row.get("expect")
        if what is None:
            continue  # noise: counted by the replay itself
        if what == "none":
            out.unobservable.append(row)
            out.kinds.setdefault(_label(row), [0, 0])[1] += 1
            continue
        client = row.get("client_id") or pseudonymise(row["client_hetu"], key or b"")
        if what == "gap":
            rel, k, v = "continuity_gaps", (client, row["gap_type"], row["subject_id"]), (
                row["started_on"], row["ended_on"])
        elif what == "violation":
            rel, k, v = "compliance_violations", (
                client, row["violation_type"], row["contract_id"]), (row["on_date"], None)
        else:
            rel, k, v = "handoff_status", (client, row["handoff"], row["contract_id"]), (
                row["status"], row["transferred_on"])
        expected[rel].setdefault(k, []).append((v, row))
    found: dict[str, dict[Key, list[Value]]] = {rel: {} for rel in expected}
    for rel, sql in (("continuity_gaps", GAPS), ("compliance_violations", VIOLATIONS),
                     ("handoff_status", STATUSES)):
        for c, t, s, a, b in con.execute(sql).fetchall():
            found[rel].setdefault((c, t, s), []).append((a, b))
    for rel in expected:
        _match(out, rel, expected[rel], found[rel])
    return out


def _score_name(rel: str, key: Key) -> str:
    return f"handoff {key[1]}" if rel == "handoff_status" else key[1]


def _match(out: Comparison, rel: str, expected: dict[Key, list[tuple[Value, dict[str, Any]]]],
           found: dict[Key, list[Value]]) -> None:
    for k in expected.keys() | found.keys():
        score = out.scores.setdefault(_score_name(rel, k), Score())
        exp = list(expected.get(k, []))
        got = list(found.get(k, []))
        score.truth += len(exp)
        score.found += len(got)
        left: list[tuple[Value, dict[str, Any]]] = []
        for v, row in exp:
            if v in got:
                got.remove(v)
                score.matched += 1
                _count_kind(out, row, True)
            else:
                left.append((v, row))
        for v, row in left:
            _count_kind(out, row, False)
            near = next((g for g in got if _near(rel, v, g)), None)
            if near is not None:
                got.remove(near)
            out.differences.append(Difference("differs" if near else "missed", rel, k[0],
                                              k[1], k[2], v, near,
                                              _label(row) if "kind" in row else None))
        out.differences += [Difference("false", rel, k[0], k[1], k[2], None, g, None)
                            for g in got]


def _near(rel: str, a: Value, b: Value) -> bool:
    """Two rows about the same thing with different dates: overlapping gaps, or any two rows
    of one violation or one contract's handoff."""
    if rel != "continuity_gaps":
        return True
    far = "9999-12-31"
    return bool(a[0] and b[0] and a[0] < (b[1] or far) and b[0] < (a[1] or far))


def _count_kind(out: Comparison, row: dict[str, Any], exact: bool) -> None:
    if row.get("kind") is None:
        return  # handoff statuses have no cause
    if row["kind"] == "natural":
        out.natural[(row.get("gap_type") or row.get("violation_type") or "?",
                     row.get("why", ""))] += 1
        return
    # A row two failures caused (a missing transfer running into a municipality's own KTT)
    # counts for both.
    for kind, handoff in [[row["kind"], row.get("handoff")], *row.get("also", [])]:
        counts = out.kinds.setdefault(_label({"kind": kind, "handoff": handoff}), [0, 0])
        counts[0] += exact
        counts[1] += 1
