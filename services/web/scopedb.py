"""A database file per scope: the rows one scope may see, copied out of the main file (or the
live snapshot) once per version of the data, and read instead of it by that scope's pages and
analysts' SQL (services/scope.py).

Why a file of its own and not views over the main file: a view is one name among many; the
user's SQL could name the table under it, a catalogue function, or the attached file. Here the
other rows are simply not in the file. The main file is attached only while the copy is made,
by the server, and detached before anyone reads the result; readers open it read-only with
external access off, so it cannot attach anything either.

What each relation keeps:
- rows that have a place of their own keep that place's rows: gaps_by_place (and
  continuity_gaps and gap_rows, derived from it) by the gap's internal area or municipality,
  contracts and handoff_status by the contract's municipality, municipalities by themselves;
- rows of a client (clients, referrals, data_issues, events) keep the clients whose place is
  in scope: the municipality of their latest contract, else their home municipality (as
  gaps_by_place places a client's gaps); an event naming a contract needs that contract too,
  and a compliance violation its contract;
- dead_letters (raw input, of anyone) is empty; as_of is copied.
A relation the main file does not have is left out; nothing else is copied."""

import os
import threading
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

import duckdb

from services.scope import Scope

MUNIS = "(SELECT code FROM municipalities)"
OWN = "(SELECT client_id FROM own_clients)"
CONTRACT_OF_EVENT = "json_extract_string(payload, '$.contract_id')"
# A contract is the pair (client, contract id) (SPEC.md 5's grain): two clients may carry one
# contract id, so a row is kept only when its own client's contract of that id is in scope
# (an id alone let another area's client's rows through when a client here had the same id).
_HAS_CONTRACT = ("EXISTS (SELECT 1 FROM contracts k WHERE k.client_id = {row}.client_id "
                 "AND k.contract_id = {contract})")


def _copies(scope: Scope) -> list[tuple[str, str]]:
    """(relation, the SELECT that fills it) in build order (later ones read earlier ones)."""
    return [
        ("as_of", "SELECT * FROM src.as_of"),
        ("municipalities", "SELECT * FROM src.municipalities WHERE "
         + scope.literal_sql("internal_area", "code")),
        ("contracts", f"SELECT * FROM src.contracts WHERE municipality IN {MUNIS}"),
        ("clients", f"SELECT * FROM src.clients WHERE client_id IN {OWN}"),
        ("handoff_status", f"SELECT * FROM src.handoff_status WHERE municipality IN {MUNIS}"),
        ("referrals", f"SELECT * FROM src.referrals WHERE client_id IN {OWN}"),
        ("data_issues", f"SELECT * FROM src.data_issues WHERE client_id IN {OWN}"),
        ("compliance_violations", "SELECT * FROM src.compliance_violations v WHERE "
         f"{_HAS_CONTRACT.format(row='v', contract='v.contract_id')} OR "
         f"(contract_id IS NULL AND client_id IN {OWN})"),
        ("events", f"SELECT * FROM src.events e WHERE client_id IN {OWN} AND "
         f"({CONTRACT_OF_EVENT} IS NULL OR "
         f"{_HAS_CONTRACT.format(row='e', contract=CONTRACT_OF_EVENT)})"),
        ("dead_letters", "SELECT * FROM src.dead_letters WHERE FALSE"),
        ("gaps_by_place", "SELECT * FROM src.gaps_by_place WHERE "
         + scope.literal_sql("internal_area", "municipality")),
        ("gap_rows", "SELECT client_id, gap_type, subject_id, started_on, ended_on, "
         "length_days FROM gaps_by_place"),
    ]


# A client's place, as gaps_by_place places a client's gaps when no contract is at hand.
OWN_CLIENTS = f"""
CREATE TEMP TABLE own_clients AS
SELECT c.client_id
FROM src.clients c
LEFT JOIN (SELECT client_id, municipality FROM src.contracts
           QUALIFY row_number() OVER (PARTITION BY client_id
                                      ORDER BY start_date DESC, contract_id) = 1) l
    USING (client_id)
WHERE coalesce(l.municipality, c.home_municipality) IN {MUNIS}
"""


def build(source: Path, target: Path, scope: Scope) -> None:
    """Write `target` with the rows of `scope` from `source` (atomically: a reader sees the
    old file or the whole new one)."""
    building = target.with_name(target.name + ".building")
    building.unlink(missing_ok=True)
    con = duckdb.connect(str(building))
    try:
        con.execute("SET enable_progress_bar = false")  # the server's console stays quiet
        quoted = str(source).replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS src (READ_ONLY)")
        have = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'src' UNION ALL "
            "SELECT view_name FROM duckdb_views() WHERE database_name = 'src'").fetchall()}
        for name, select in _copies(scope):
            if name == "contracts":  # the clients of the scope, once its places are known
                con.execute(OWN_CLIENTS if {"clients", "contracts"} <= have
                            else "CREATE TEMP TABLE own_clients (client_id VARCHAR)")
            if name in have:
                con.execute(f"CREATE TABLE {name} AS {select}")
        if "gap_rows" in _tables(con):
            con.execute(_view_sql("continuity_gaps"))
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(building, target)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE "
                                      "database_name = current_database()").fetchall()}


def _view_sql(name: str) -> str:
    text = resources.files("analytics").joinpath("sql", "views", f"{name}.sql").read_text(
        encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("--"))


class ScopedFiles:
    """The file of each scope for the current version of the data, built on first use and
    kept until the data changes. Files live in a folder of their own beside the web file."""

    def __init__(self, source: Callable[[], Path], stamp: Callable[[], object],
                 folder: Path) -> None:
        self.source, self.stamp, self.folder = source, stamp, folder
        self._lock = threading.Lock()  # one build at a time (they share two cores)
        self._built: dict[str, tuple[object, Path]] = {}

    def path(self, scope: Scope) -> Path:
        stamp = self.stamp()
        with self._lock:
            got = self._built.get(scope.key)
            if got is not None and got[0] == stamp and got[1].exists():
                return got[1]
            self.folder.mkdir(mode=0o700, exist_ok=True)
            version = abs(hash(stamp)) % 10**12
            target = self.folder / f"scope-{scope.key}-{version}.duckdb"
            build(self.source(), target, scope)
            if got is not None and got[1] != target:
                # Readers that still have it open keep reading it (unlinked, not gone).
                got[1].unlink(missing_ok=True)
            self._built[scope.key] = (stamp, target)
            return target

    def warm(self, scopes: Iterable[Scope]) -> None:
        """Build the files of these scopes for the current data, ahead of their users' first
        page (the server calls it at start and every few seconds: a file already built for
        this version is only looked up)."""
        for scope in scopes:
            if not scope.whole:
                self.path(scope)


def folder_for(web_file: Path) -> Path:
    return web_file.with_name(web_file.stem + ".scopes")
