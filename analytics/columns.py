"""Turning rows of the core into Arrow tables for DuckDB (inserts from Arrow are ~1000x faster
than executemany). Every relation's columns and types come from analytics/relations.py."""

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from analytics import relations as rel
from streams.core.results import ClientResult

# The declarations by their old names here, for the writers that build tables from rows.
DEAD_LETTERS = rel.DEAD_LETTERS
ISSUES = rel.DATA_ISSUES
MUNICIPALITIES = rel.MUNICIPALITIES


def table(relation: rel.Relation, rows: Sequence[Sequence[Any]]) -> pa.Table:
    """An Arrow table of `relation` from rows (tuples in declared column order)."""
    return relation.table(rows)


_EPOCH_ORDINAL = pa.scalar(date(1970, 1, 1).toordinal(), type=pa.int32())
_TS = rel.EVENTS.column("occurred_at").arrow


def event_lines(event_id: Sequence[str], event_type: Sequence[str],
                occurred_us: Sequence[int], effective_day: Sequence[int], source: Sequence[str],
                client_id: Sequence[str], line: Sequence[bytes | str | None],
                payload: Sequence[bytes | None] | None = None, *,
                canonical: bool = False) -> pa.Table:
    """The shape a valid event takes on its way in (Store.insert_events): the events
    relation's envelope columns, and for each either the JSON line (the payload left to
    DuckDB) or the payload's own JSON text (streams.core.loadloop.payload_text), None in the
    other. Times come as UTC microseconds and days as ordinals (what the core computes
    anyway); texts as bytes (or text), cast to text in one vectorised step (built as text,
    they cost 1 µs each)."""
    days = pc.subtract(pa.array(effective_day, type=pa.int32()), _EPOCH_ORDINAL)
    lines = pa.array(line, type=pa.binary())
    payloads = (pa.nulls(len(event_id), pa.binary()) if payload is None
                else pa.array(payload, type=pa.binary()))
    if canonical:  # (the sink's lines are canonical already)
        lines, payloads = canonical_payloads(lines, payloads, line, payload)
    return pa.table({
        "event_id": pa.array(event_id, type=pa.string()),
        "event_type": pa.array(event_type, type=pa.string()),
        "occurred_at": pa.array(occurred_us, type=pa.int64()).cast(_TS),
        "effective_date": days.cast(pa.date32()),
        "source": pa.array(source, type=pa.string()),
        "client_id": pa.array(client_id, type=pa.string()),
        "line": lines.cast(pa.string()),
        "payload": payloads.cast(pa.string()),
    })


# A payload's keys in text the door's fast path took (printable ASCII, no backslash: no value
# holds a quote, so every `"...":` after a `{` or a `,` is a key)
_KEYS = re.compile(rb'[{,]"([^"]*)":')
# ... and an attendance record's, in order (most events), told by Arrow for the whole batch
_ATTENDANCE = r'^\{"contract_id":"[^"]*","date":"[^"]*","present":(?:true|false)\}$'


def canonical_payloads(lines: pa.Array, payloads: pa.Array, line: Sequence[bytes | str | None],
                       payload: Sequence[bytes | None] | None
                       ) -> tuple[pa.Array, pa.Array]:
    """Each row's payload as the live sink writes it: its keys sorted, as in the canonical
    text the worker carries (SPEC.md 1.4), which the sink's DuckDB cuts the payload out of.
    Replay kept the source's order of keys, so the events relation of one file held other
    text by Kafka than by replay (an attack on the live path, 2026-12-07; SPEC.md 6).
    A payload cut out of a fast-path line whose keys are in order already, with no object
    inside, is kept as it is (an attendance record's: told apart by Arrow, as a look at each
    in Python cost a national replay 1 µs a line); a whole line is re-serialised with sorted
    keys (one orjson will not read is left as it is). (lines, payloads) as binary arrays,
    (line, payload) the same as the lists they were made from (read by index: an Arrow
    scalar's as_py() was most of the cost)."""
    kept = pc.fill_null(pc.match_substring_regex(payloads, _ATTENDANCE), False)
    todo = pc.indices_nonzero(pc.invert(kept)).to_pylist()
    if not todo:
        return lines, payloads
    new_payloads: dict[int, bytes] = {}
    new_lines: dict[int, bytes] = {}
    for i in todo:
        text = None if payload is None else payload[i]
        if text is not None:
            if text.count(b"{") != 1 or (keys := _KEYS.findall(text)) != sorted(keys):
                new_payloads[i] = orjson.dumps(orjson.loads(text),
                                               option=orjson.OPT_SORT_KEYS)
            continue
        whole = line[i]
        if whole is not None:
            if isinstance(whole, str):
                whole = whole.encode()
            try:
                obj = orjson.loads(whole.removeprefix(b"\xef\xbb\xbf"))
            except orjson.JSONDecodeError:
                continue
            new_lines[i] = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    return _replaced(lines, new_lines), _replaced(payloads, new_payloads)


def _replaced(column: pa.Array, new: dict[int, bytes]) -> pa.Array:
    if not new:
        return column
    mask = [False] * len(column)
    for i in new:
        mask[i] = True
    return pc.replace_with_mask(column, pa.array(mask),
                                pa.array([new[i] for i in sorted(new)], type=pa.binary()))


def result_tables(results: Iterable[ClientResult]) -> dict[str, pa.Table]:
    """The rows of many clients' results, one Arrow table per relation."""
    rows: dict[str, list[Any]] = {r.name: [] for r in rel.RESULTS}
    lists = [(rows[r.name], r.result_attr) for r in rel.RESULTS if r.result_attr]
    clients = rows[rel.CLIENTS.name]
    for r in results:
        for into, attr in lists:
            into += getattr(r, attr)
        clients += r.client_rows()
    return {r.name: r.table(rows[r.name]) for r in rel.RESULTS}
