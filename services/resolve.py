"""SPEC.md 1.4 for a replay: events that share an event_id count as one, in any order and over
any partitions. Loading (services/loader.py) takes the first line of each id in a partition,
counts the same line again as a duplicate and only notes an id whose other lines differ. This
module finishes the job once everything is written, and costs nothing when no id is in doubt:

1. the ids in doubt: noted by a loader, or taken by more than one partition (the events table
   holds them twice);
2. one pass over the file collects every valid line under those ids; for each id
   streams.core.event_ids.choose picks the content taken (latest occurred_at, then the greatest
   canonical text), counts identical ones as duplicates, and lists the losing contents;
3. a second pass collects every line of the clients touched (those of every version: a client
   may have had a losing version applied, or miss the winning one), which are loaded again
   without the versions not taken, evaluated, and put in place of their rows in every relation
   keyed by client, with a data issue `conflicting_event_id` for each losing content.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from analytics import columns
from analytics.store import Store
from schemas.door import DeadLetter, admit
from services.loader import LoadCounts, load
from services.partition import client_of, numbered
from streams.core import Rules, evaluate
from streams.core.event_ids import CONFLICT, Version, choose, version_of

# Relations with one client's rows (as_of, dead_letters and municipalities have none).
CLIENT_RELATIONS = ("events", "contracts", "gap_rows", "handoff_status", "compliance_violations",
                    "data_issues", "clients", "referrals")
_ID = b'"event_id":"'
_CLIENT_ID = b'"client_id":"'


@dataclass
class Resolution:
    ids: int = 0  # ids in doubt
    clients: int = 0  # clients loaded and evaluated again
    as_of: date | None = None  # the latest effective date of the events taken, afterwards


def multi_partition_ids(store: Store) -> set[str]:
    """Ids taken by more than one partition of a parallel replay. Grouped by the ids' 64-bit
    hashes first: a national file's 24 million ids grouped as text took 4.4 s at the end of a
    replay, as hashes 3.0 s; the rare hash repeated is then looked at as text."""
    repeated = [r[0] for r in store.con.execute(
        "SELECT h FROM (SELECT hash(event_id) AS h FROM events) GROUP BY h "
        "HAVING count(*) > 1").fetchall()]
    if not repeated:
        return set()
    rows = store.con.execute(
        "SELECT event_id FROM events WHERE hash(event_id) IN (SELECT unnest(?::UBIGINT[])) "
        "GROUP BY event_id HAVING count(*) > 1", [repeated]).fetchall()
    return {r[0] for r in rows}


def resolve(path: Path, store: Store, key: bytes | None, rules: Rules, day: date,
            counts: LoadCounts, ids: set[str]) -> Resolution:
    """Make the relations in `store` (all written, no transaction open) follow SPEC.md 1.4 for
    the ids in doubt, and correct `counts` (taken, duplicates, conflicts; pending is spent)."""
    out = Resolution(ids=len(ids))
    if not ids:
        return out
    versions = _versions(path, ids, key)
    # The line taken for each id, as its canonical text: identical versions may differ in
    # their bytes (key order, spaces, escapes), and the first one's bytes made the events
    # relation depend on the order of the lines. The canonical text is what the Kafka worker
    # keeps for every event (streams.agents.events).
    taken_lines: dict[int, bytes] = {}
    issues: list[tuple[str, str, str]] = []
    clients: set[str] = set()
    lines_seen = duplicates = 0
    for event_id, found in versions.items():
        choice = choose([v for v, _n in found])
        taken_lines[min(n for v, n in found if v == choice.taken)] = (
            choice.taken.canonical.encode())
        issues += [(event_id, loser.client, CONFLICT) for loser in choice.losers]
        clients.update(v.client for v, _n in found)
        lines_seen += len(found)
        duplicates += choice.duplicates
    dropped = {n for found in versions.values() for _v, n in found} - set(taken_lines)

    # What loading counted for these ids (one taken per partition that saw each, duplicates,
    # pending) becomes one taken per id, its duplicates and its losing contents.
    (in_partitions,) = store.con.execute(
        "SELECT count(*) FROM events WHERE event_id IN (SELECT * FROM UNNEST(?))",
        [sorted(versions)]).fetchone() or (0,)
    counted_duplicates = lines_seen - in_partitions - counts.pending
    counts.taken += len(versions) - in_partitions
    counts.duplicates += duplicates - counted_duplicates
    counts.conflicts += len(issues)
    counts.pending = 0

    tables = _reload(path, key, rules, day, clients, dropped, taken_lines)
    tables["data_issues"] = pa.concat_tables([
        tables["data_issues"], columns.table(columns.ISSUES, issues)])
    _replace(store, clients, tables)
    out.clients = len(clients)
    row = store.con.execute("SELECT max(effective_date) FROM events").fetchone()
    out.as_of = None if row is None else row[0]
    return out


def _event_id(line: bytes) -> str | None:
    """The event id of a line, cheaply where it is written the usual way."""
    i = line.find(_ID)
    if i >= 0 and line.find(_ID, i + 1) < 0:
        start = i + len(_ID)
        end = line.find(b'"', start)
        if end > 0 and b"\\" not in line[start:end]:
            return line[start:end].decode("utf-8", "replace").lower()
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    value = doc.get("event_id") if isinstance(doc, dict) else None
    return value.lower() if isinstance(value, str) else None


def _versions(path: Path, ids: set[str], key: bytes | None,
              ) -> dict[str, list[tuple[Version, int]]]:
    """Every valid line under the ids, as (Version, line number), by id."""
    out: dict[str, list[tuple[Version, int]]] = defaultdict(list)
    for n, line in numbered(path):
        if _event_id(line) not in ids:
            continue
        event = admit(line, "", key)
        if isinstance(event, DeadLetter) or event.event_id not in ids:
            continue
        out[event.event_id].append((version_of(event, orjson.loads(line)), n))
    return out


def _client(line: bytes, key: bytes | None) -> str | None:
    i = line.find(_CLIENT_ID)
    if i >= 0 and line.find(_CLIENT_ID, i + 1) < 0:
        start = i + len(_CLIENT_ID)
        end = line.find(b'"', start)
        if end > 0 and b"\\" not in line[start:end]:
            return line[start:end].decode("utf-8", "replace")
    return client_of(line, key)


def _reload(path: Path, key: bytes | None, rules: Rules, day: date, clients: set[str],
            dropped: set[int], texts: dict[int, bytes]) -> dict[str, pa.Table]:
    """The clients' events and result rows, from their lines less the versions not taken,
    each line numbered in `texts` as the text given there."""
    lines = [(n, texts.get(n, line)) for n, line in numbered(path)
             if n not in dropped and _client(line, key) in clients]
    events: list[pa.Table] = []

    def emit(relation: str, tbl: pa.Table) -> None:
        if relation == "events":  # their dead letters are in place already
            events.append(tbl)

    states, _counts = load(lines, str(path), key, emit)
    # Only the clients asked for (a line's client read cheaply might, in a contrived line, not
    # be the door's): their rows are the ones replaced.
    tables: dict[str, Any] = columns.result_tables(
        evaluate(state, day, rules) for client, state in states.items() if client in clients)
    taken = pa.concat_tables(events)
    wanted = pa.array(sorted(clients), type=pa.string())
    tables["events"] = taken.filter(pc.is_in(taken["client_id"], value_set=wanted))
    return tables


def _replace(store: Store, clients: set[str], tables: dict[str, pa.Table]) -> None:
    con = store.con
    con.begin()
    try:
        con.register("_clients", pa.table({"client_id": pa.array(sorted(clients),
                                                                 type=pa.string())}))
        for relation in CLIENT_RELATIONS:
            con.execute(f"DELETE FROM {relation} "
                        "WHERE client_id IN (SELECT client_id FROM _clients)")
        con.unregister("_clients")
        store.insert_tables(tables)
        con.commit()
    except BaseException:
        store.rollback_quietly()
        raise
