"""The events relation's payload is one text whichever way an event came in (SPEC.md 6): the
live sink cuts it out of the worker's canonical text (keys sorted, SPEC.md 1.4), so replay and
the embedded ingest write it so too (an attack on the live path, 2026-12-07, found replay's
in the source's order of keys)."""

import duckdb
import orjson
import pyarrow as pa

from analytics.columns import canonical_payloads

SIGNED = (b'{"event_id":"e1","payload":{"contract_id":"k1","service":"KTT",'
          b'"producer":{"kind":"municipal","id":"P","municipality":"564"},'
          b'"start_date":"2022-09-01"}}')


def test_payloads_and_lines_come_out_as_the_sink_cuts_them() -> None:
    cut = b'{"contract_id":"k1","service":"KTT","start_date":"2022-09-01"}'
    attendance = b'{"contract_id":"k1","date":"2023-01-02","present":true}'
    nested = SIGNED[SIGNED.index(b'"payload":') + 10:-1]
    unsorted = b'{"date":"2023-01-02","contract_id":"k1","present":true}'
    lines = [None, None, None, None, b"\xef\xbb\xbf" + SIGNED, b"{not json"]
    payloads = [cut, attendance, nested, unsorted, None, None]
    got_lines, got_payloads = canonical_payloads(pa.array(lines, pa.binary()),
                                                 pa.array(payloads, pa.binary()), lines,
                                                 payloads)
    out_lines, out = got_lines.to_pylist(), got_payloads.to_pylist()
    sink = orjson.dumps(orjson.loads(SIGNED), option=orjson.OPT_SORT_KEYS).decode()
    con = duckdb.connect()
    as_sink = con.execute("SELECT json_extract(?, '$.payload')::VARCHAR", [sink]).fetchone()
    assert as_sink is not None
    assert out[:2] == [cut, attendance]  # in order already: kept as they are
    assert out[2] is not None and out[2].decode() == as_sink[0]
    assert out[3] == b'{"contract_id":"k1","date":"2023-01-02","present":true}'
    assert out_lines[4] is not None and con.execute(
        "SELECT json_extract(?, '$.payload')::VARCHAR", [out_lines[4].decode()]).fetchone() \
        == as_sink
    assert out_lines[5] == b"{not json"  # left to the writer as it is
    assert out_lines[:4] == [None] * 4 and out[4:] == [None, None]
