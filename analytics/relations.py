"""Every DuckDB relation jatkumo writes, declared once: name, description, grain (the columns
that identify a row), and columns with their types. The DuckDB DDL (`Relation.ddl`), the Arrow
schemas (`Relation.schema`), the client-results codec (streams/topics.py) and the audit
(analytics/audit.py) are all derived from here; nothing else lists a relation's columns.
Writers insert BY NAME, so a column's position never carries meaning.

Views are SQL (analytics/sql/views/*.sql): they are queries over these tables, not storage.

The grain is not a PRIMARY KEY constraint in the DDL: DuckDB keeps an ART index per key in
memory and checks it on every insert, which a national rebuild (tens of millions of rows) pays
for in memory and time; and a grain may hold a nullable column (gap_rows.subject_id), which a
PRIMARY KEY forbids and a UNIQUE constraint would not compare (NULLs are distinct there). The
grain is checked after the fact by `jatkumo audit` instead, the way dbt and sqlmesh test
unique and not-null keys (GROUP BY compares NULLs as equal).
`kafka_offsets` is the one enforced key: the sink upserts it with INSERT OR REPLACE.

pyarrow and duckdb are imported only where used: the Kafka worker encodes client results from
these declarations and needs neither (its start-up time is measured)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

# DuckDB type -> Arrow type of the batches inserted into it (a pyarrow factory and its args)
_ARROW: dict[str, tuple[str, tuple[str, ...]]] = {
    "VARCHAR": ("string", ()), "DATE": ("date32", ()), "INTEGER": ("int32", ()),
    "BIGINT": ("int64", ()), "BOOLEAN": ("bool_", ()), "JSON": ("string", ()),
    "TIMESTAMPTZ": ("timestamp", ("us", "UTC")),
}
# DuckDB type -> how information_schema.columns.data_type spells it
_INFO_TYPE = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a key of _ARROW
    nullable: bool = False
    note: str = ""
    # DuckDB's compression for the column, where its own choice costs more than it keeps:
    # see EVENTS
    compression: str = ""

    def __post_init__(self) -> None:
        if self.type not in _ARROW:
            raise ValueError(f"column {self.name}: unknown type {self.type}")

    @property
    def arrow(self) -> pa.DataType:
        import pyarrow as pa

        factory, args = _ARROW[self.type]
        made: pa.DataType = getattr(pa, factory)(*args)
        return made

    @property
    def info_type(self) -> str:
        """The type as DuckDB's information_schema reports it."""
        return _INFO_TYPE.get(self.type, self.type)


@dataclass(frozen=True)
class Relation:
    name: str
    description: str
    columns: tuple[Column, ...]
    # The columns that identify a row (unique together); () with single_row: exactly one row.
    key: tuple[str, ...]
    single_row: bool = False
    enforce_key: bool = False  # a PRIMARY KEY constraint in the DDL (see the module docstring)
    # Rows that repeat the key, said in the grain: data_issues lists each version of an event
    # id not taken (SPEC.md 1.4), and its columns cannot tell two of one client apart. The
    # audit then checks the key's columns for NULLs only.
    repeats: str = ""
    # the ClientResult attribute holding this relation's rows, for those the core evaluates
    result_attr: str | None = None
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = tuple(c.name for c in self.columns)
        object.__setattr__(self, "names", names)
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: a column is declared twice")
        if missing := set(self.key) - set(names):
            raise ValueError(f"{self.name}: key columns {sorted(missing)} are not columns")
        if not self.key and not self.single_row:
            raise ValueError(f"{self.name}: declare a key or single_row")
        if self.repeats and self.enforce_key:
            raise ValueError(f"{self.name}: a key that repeats cannot be a PRIMARY KEY")

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def grain(self) -> str:
        if self.single_row:
            return "exactly one row"
        if self.repeats:
            return f"rows by ({', '.join(self.key)}); {self.repeats}"
        return f"one row per ({', '.join(self.key)})"

    def schema(self) -> pa.Schema:
        import pyarrow as pa

        return pa.schema([pa.field(c.name, c.arrow, nullable=c.nullable) for c in self.columns])

    def table(self, rows: Sequence[Sequence[Any]]) -> pa.Table:
        """An Arrow table of this relation from rows whose values are in declared order."""
        import pyarrow as pa

        cols = list(zip(*rows, strict=True)) if rows else [() for _ in self.columns]
        return pa.table({c.name: pa.array(list(v), type=c.arrow)
                         for c, v in zip(self.columns, cols, strict=True)})

    def ddl(self) -> str:
        width = max(len(n) for n in self.names)
        parts = [(f"    {c.name.ljust(width)} {c.type}{'' if c.nullable else ' NOT NULL'}"
                  f"{f' USING COMPRESSION {c.compression}' if c.compression else ''}",
                  c.note) for c in self.columns]
        if self.enforce_key:
            parts.append((f"    PRIMARY KEY ({', '.join(self.key)})", ""))
        body = "\n".join(text + ("," if i < len(parts) - 1 else "") + (f"  -- {note}" if note
                                                                        else "")
                         for i, (text, note) in enumerate(parts))
        head = "\n".join(f"-- {line}" for line in
                         (f"{self.name}: {self.description}", f"grain: {self.grain}."))
        return f"{head}\nCREATE TABLE {self.name} (\n{body}\n)"

    def comments(self) -> list[str]:
        """COMMENT ON statements: the description (with the grain) and the column notes, kept
        in the file so that an analyst sees them (duckdb_tables(), duckdb_columns())."""
        def quote(text: str) -> str:
            return "'" + text.replace("'", "''") + "'"

        out = [f"COMMENT ON TABLE {self.name} IS "
               f"{quote(f'{self.description} Grain: {self.grain}.')}"]
        out += [f"COMMENT ON COLUMN {self.name}.{c.name} IS {quote(c.note)}"
                for c in self.columns if c.note]
        return out


def _c(name: str, type_: str, nullable: bool = False, note: str = "",
       compression: str = "") -> Column:
    return Column(name, type_, nullable, note, compression)


V, D, INT, B = "VARCHAR", "DATE", "INTEGER", "BOOLEAN"

AS_OF = Relation(
    "as_of", "the date every other relation is evaluated on (SPEC.md 5).",
    (_c("as_of_date", D),), key=(), single_row=True)
EVENTS = Relation(
    "events", "every valid event taken, pseudonymised, after de-duplication by event_id. "
    "Events effective after the as-of date are kept here too.",
    # An id and a payload are unlike the values beside them: DuckDB's default for text (a
    # dictionary and FSST) tried on them took half of a rebuild's insert time (the writer's CPU,
    # shared with the workers) and kept less than zstd does. Measured on 3,000,000 national
    # events: 4.9 s and 163 MB by default, 3.4 s and 142 MB with zstd on these two (a national
    # replay's file: 1.18 GB, was 1.37). Reading a payload back costs more (a scan of every
    # national payload: 2.5 s, was 1.5 s), which only a scoped copy and an analyst's query do.
    (_c("event_id", V, compression="zstd"), _c("event_type", V),
     _c("occurred_at", "TIMESTAMPTZ"), _c("effective_date", D), _c("source", V),
     _c("client_id", V), _c("payload", "JSON", compression="zstd")),
    key=("event_id",))
DEAD_LETTERS = Relation(
    "dead_letters", "input that could not be taken, with identity codes masked as "
    "******-****. origin is file:line or topic/partition/offset.",
    (_c("raw", V), _c("reason", V), _c("origin", V)), key=("origin",))
CONTRACTS = Relation(
    "contracts", "each contract as of the as-of date (SPEC.md 2), signed with start_date on or "
    "before the as-of date.",
    (_c("contract_id", V), _c("client_id", V), _c("service", V, note="KTT, SOSKU, NUPA"),
     _c("organizer", V, note="as of the as-of date"), _c("producer_id", V),
     _c("producer_kind", V), _c("municipality", V, note="of the producer"),
     _c("start_date", D), _c("last_day", D, True, "NULL: open"),
     _c("end_reason", V, True, "an ended reason, or 'expired'"), _c("signed_organizer", V),
     _c("planned_end_date", D, True, "set when last_day comes from the planned end"),
     _c("suspended", B, note="suspended on the as-of date")),
    key=("client_id", "contract_id"), result_attr="contracts")
GAP_ROWS = Relation(
    "gap_rows", "the gaps the core found; continuity_gaps is the view to read.",
    (_c("client_id", V), _c("gap_type", V), _c("subject_id", V, True), _c("started_on", D),
     _c("ended_on", D, True, "the first day the gap no longer held; NULL while open"),
     _c("length_days", INT)),
    key=("client_id", "gap_type", "subject_id", "started_on"), result_attr="gaps")
HANDOFF_STATUS = Relation(
    "handoff_status", "contracts that had to move in a handoff (SPEC.md 4.1; by default the "
    "2023 one: KTT and SOSKU signed with a municipal organiser, started before and active on "
    "1.1.2023).",
    (_c("contract_id", V), _c("client_id", V), _c("service", V),
     _c("municipality", V, note="three-digit code of the signed organiser"), _c("producer_id", V),
     _c("status", V, note="transferred, transferred_late, ended_untransferred, pending"),
     _c("transferred_on", D, True, "the first transfer from the from kind to the to kind"),
     _c("handoff", V, note='the handoff\'s name, "2023" by default')),
    key=("handoff", "client_id", "contract_id"), result_attr="handoffs")
COMPLIANCE_VIOLATIONS = Relation(
    "compliance_violations", "contracts that break the law on KTT or the handoff (SPEC.md 4).",
    (_c("client_id", V), _c("contract_id", V), _c("violation_type", V), _c("on_date", D)),
    key=("client_id", "contract_id", "violation_type"), result_attr="violations")
DATA_ISSUES = Relation(
    "data_issues", "valid events that refer to a contract or referral never seen for the "
    "client, and each version of an event id that was not taken (conflicting_event_id).",
    (_c("event_id", V), _c("client_id", V), _c("issue", V)),
    key=("event_id", "issue"), result_attr="issues",
    repeats="a conflicting_event_id has one row for each version not taken, so three versions "
    "of one client's event give two equal rows")
CLIENTS = Relation(
    "clients", "every client with any event, with the winning registration as of the as-of "
    "date; client_id is a pseudonym.",
    (_c("client_id", V), _c("birth_year", INT, True), _c("home_municipality", V, True),
     _c("referred_by", V, True), _c("registered_on", D, True)),
    key=("client_id",))
REFERRALS = Relation(
    "referrals", "referrals made by the as-of date, with their start and closing.",
    (_c("referral_id", V), _c("client_id", V), _c("target", V), _c("made_on", D),
     _c("started_on", D, True), _c("closed_on", D, True), _c("outcome", V, True)),
    key=("client_id", "referral_id"), result_attr="referrals")
MUNICIPALITIES = Relation(
    "municipalities", "the reference list shipped with jatkumo (Statistics Finland, 2023), "
    "with North Ostrobothnia's internal areas (configurable).",
    (_c("code", V), _c("name_fi", V), _c("name_sv", V), _c("region_code", V),
     _c("region_name_fi", V), _c("internal_area", V, True), _c("population", INT, True)),
    key=("code",))
KAFKA_OFFSETS = Relation(
    "kafka_offsets", "the next offset the sink will read, per input partition; written in the "
    "same transaction as the rows those offsets produced (only in a file the sink writes).",
    (_c("topic", V), _c("partition", INT), _c("next_offset", "BIGINT")),
    key=("topic", "partition"), enforce_key=True)
PUBLISHED_CUBE = Relation(
    "published_cube", "the cube the dashboard publishes to managers, suppressed once "
    "(services/web/published.py), stored by the writer in the transaction that wrote the "
    "relations it reads, so the dashboard need not build it (analytics/cube_store.py); no row "
    "while a live writer has changed the relations since the last one. Its cells are in "
    "published_cells.",
    (_c("suppress_below", INT, note="k: counts from 1 to k-1 are shown as <k"),
     _c("handoffs", V, note="the handoff configuration it was built with"),
     _c("built_from", V, note="the as-of date and row counts of the relations it read"),
     _c("layout", "JSON", note="its places, months, handoffs and service map rows")),
    key=("suppress_below", "handoffs"))
PUBLISHED_CELLS = Relation(
    "published_cells", "every cell of the stored published cube with the text a manager sees "
    "(a count, <k, .. or –); a cell not listed is 0. The key's parts by kind are those of "
    "services/web/published.py (e.g. gap, type, area, municipality, service; * is all).",
    (_c("kind", V), _c("key1", V), _c("key2", V), _c("key3", V),
     _c("key4", V, True, "NULL for a kind of three parts"), _c("shown", V)),
    key=("kind", "key1", "key2", "key3", "key4"))

# Every table replay and the sink create, in creation order.
DECLARED = (AS_OF, EVENTS, DEAD_LETTERS, CONTRACTS, GAP_ROWS, HANDOFF_STATUS,
            COMPLIANCE_VIOLATIONS, DATA_ISSUES, CLIENTS, REFERRALS, MUNICIPALITIES,
            PUBLISHED_CUBE, PUBLISHED_CELLS)
BY_NAME = {r.name: r for r in (*DECLARED, KAFKA_OFFSETS)}
TABLES = tuple(r.name for r in DECLARED)
# The relations evaluating a client yields, with the ClientResult attribute holding their rows
# (clients comes from ClientResult.client, one row per client).
RESULTS = (CONTRACTS, GAP_ROWS, HANDOFF_STATUS, COMPLIANCE_VIOLATIONS, DATA_ISSUES, CLIENTS,
           REFERRALS)
VIEWS = ("continuity_gaps", "gaps_by_place",  # in dependency order
         "dash_gap_cells", "dash_handoff_cells", "dash_service_cells", "dash_story_cells")
# Relations rebuilt by every evaluation (events and dead letters accumulate instead).
DERIVED = ("as_of", *(r.name for r in RESULTS))


def view_sql(name: str) -> str:
    return resources.files("analytics").joinpath("sql").joinpath("views").joinpath(
        f"{name}.sql").read_text(encoding="utf-8")


def create_all(con: duckdb.DuckDBPyConnection) -> None:
    """Drop and create every relation (the caller holds the transaction)."""
    for name in reversed(VIEWS):
        con.execute(f"DROP VIEW IF EXISTS {name}")
    for rel in DECLARED:
        con.execute(f"DROP TABLE IF EXISTS {rel.name}")
        con.execute(rel.ddl())
        for comment in rel.comments():
            con.execute(comment)
    for name in VIEWS:
        con.execute(view_sql(name))
