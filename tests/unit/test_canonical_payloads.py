"""The events relation's payload is one text whichever way an event came in (SPEC.md 6): the
live sink cuts it out of the worker's canonical text (keys sorted, SPEC.md 1.4), so replay and
the embedded ingest write it so too (an attack on the live path, 2026-12-07, found replay's
in the source's order of keys)."""

import duckdb
import orjson

from analytics.columns import canonical_payloads

SIGNED = (b'{"event_id":"e1","payload":{"contract_id":"k1","service":"KTT",'
          b'"producer":{"kind":"municipal","id":"P","municipality":"564"},'
          b'"start_date":"2022-09-01"}}')


def test_payloads_and_lines_come_out_as_the_sink_cuts_them() -> None:
    cut = b'{"contract_id":"k1","service":"KTT","start_date":"2022-09-01"}'
    attendance = b'{"contract_id":"k1","date":"2023-01-02","present":true}'
    nested = SIGNED[SIGNED.index(b'"payload":') + 10:-1]
    lines: list[bytes | None] = [None, None, None, b"\xef\xbb\xbf" + SIGNED, b"{not json"]
    payloads: list[bytes | None] = [cut, attendance, nested, None, None]
    canonical_payloads(lines, payloads)
    sink = orjson.dumps(orjson.loads(SIGNED), option=orjson.OPT_SORT_KEYS).decode()
    con = duckdb.connect()
    as_sink = con.execute("SELECT json_extract(?, '$.payload')::VARCHAR", [sink]).fetchone()
    assert as_sink is not None
    assert payloads[0] == b'{"contract_id":"k1","service":"KTT","start_date":"2022-09-01"}'
    assert payloads[1] is attendance  # in order already: kept as it is, not re-serialised
    assert payloads[2] is not None and payloads[2].decode() == as_sink[0]
    assert lines[3] is not None and con.execute(
        "SELECT json_extract(?, '$.payload')::VARCHAR", [lines[3].decode()]).fetchone() == as_sink
    assert lines[4] == b"{not json"  # left to the writer as it is
