"""The embedded live mode under load (not a test; prints figures): concurrent source systems POST
events to `jatkumo serve --db FILE --ingest` at a steady total rate (default 1,000 events/s)
for a while; every event signs a KTT contract with a municipal organiser from 2022 that was
never transferred, so each opens a HANDOFF_MISSING gap as of today.

Latency is from the POST to its answer: the server answers after the DuckDB transaction that
holds the batch's events AND the touched clients' gap rows has committed, so the answer time is
when the gap row is visible in the file (checked at the end: every client sent has its row).
Baseline: the same batches taken by the embedded store in this process, with no HTTP, server
or other clients; the ratio is the HTTP throughput sustained over it at the target rate.

    .venv/bin/python bench/ingest.py [--rate 1000] [--seconds 30] [--clients 4] [--batch 50]
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.config import Settings  # noqa: E402
from services.ingest.embedded import Embedded, Item  # noqa: E402
from tests.integration.ingest.server import add_token, start  # noqa: E402

SOURCE = "bench:ingest"


def signed(n: int) -> bytes:
    return orjson.dumps({
        "event_id": str(uuid.UUID(int=n + 1)), "event_type": "contract.signed",
        "schema_version": 1, "occurred_at": "2022-09-01T09:00:00+03:00", "source": SOURCE,
        "client_id": f"bench-{n}", "payload": {
            "contract_id": f"k{n}", "service": "KTT", "organizer": "municipality:564",
            "producer": {"id": "p", "kind": "municipal", "municipality": "564"},
            "start_date": "2022-09-01"}})


def baseline(batches: list[list[bytes]], folder: Path) -> float:
    e = Embedded(folder / "baseline.duckdb", Settings(pseudonym_key=b"k"), date.today)
    e.open()
    t0 = time.perf_counter()
    for b in batches:
        e.take([Item(raw, "bench") for raw in b])
    took = time.perf_counter() - t0
    e.close()
    return sum(map(len, batches)) / took


async def client(url: str, token: str, batches: list[list[bytes]], start_at: float,
                 every: float, lat: list[float], late: list[float]) -> None:
    import aiohttp

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    async with aiohttp.ClientSession() as http:
        for i, batch in enumerate(batches):
            due = start_at + i * every
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            t0 = time.monotonic()
            late.append(t0 - due)  # > 0: this client fell behind the asked rate
            async with http.post(url, data=b"\n".join(batch), headers=headers) as r:
                body = await r.json()
                assert r.status == 200 and body["accepted"] == len(batch), body
            lat.append(time.monotonic() - t0)


async def load(url: str, token: str, per_client: list[list[list[bytes]]], every: float
               ) -> tuple[list[float], list[float], float]:
    lat: list[float] = []
    late: list[float] = []
    t0 = time.monotonic() + 0.5
    await asyncio.gather(*(client(url, token, b, t0 + i * every / len(per_client), every, lat,
                                  late) for i, b in enumerate(per_client)))
    return lat, late, time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--batch", type=int, default=50)
    a = ap.parse_args()
    total = a.rate * a.seconds
    events = [signed(n) for n in range(total)]
    batches = [events[i:i + a.batch] for i in range(0, total, a.batch)]
    per_client = [batches[i::a.clients] for i in range(a.clients)]
    every = a.clients * a.batch / a.rate  # seconds between one client's requests
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = baseline(batches, folder)
        db = folder / "live.duckdb"
        token = add_token(db, SOURCE, "bench")
        server = start(db, JATKUMO_INGEST_EVENTS_PER_SECOND=str(a.rate * 10))
        try:
            lat, late, took = asyncio.run(load(server.url + "/api/v1/events", token, per_client,
                                         every))
        finally:
            server.stop()
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        gaps = con.execute("SELECT count(*) FROM gap_rows WHERE gap_type = 'HANDOFF_MISSING' "
                           "AND client_id LIKE 'bench-%'").fetchone()
        con.close()
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
    rate = total / took
    print(f"ingest over HTTP: {total:,} events in {len(batches):,} requests of {a.batch} from "
          f"{a.clients} clients in {took:.1f} s = {rate:,.0f} events/s (target {a.rate:,}); "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  POST -> gap row committed: p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, max "
          f"{lat[-1] * 1000:.0f} ms, mean {statistics.mean(lat) * 1000:.0f} ms (target p99 < "
          f"1000 ms)")
    print(f"  sent on schedule: the latest request went {max(late) * 1000:.0f} ms after its "
          f"time (a sustained rate keeps this near 0)")
    print(f"  gap rows of the clients sent: {gaps[0] if gaps else 0:,} of {total:,}")
    print(f"  baseline, the same batches into the embedded store in process: {base:,.0f} "
          f"events/s; sustained HTTP rate / baseline: {rate / base:.3f}; headroom of the "
          f"baseline over the target: {base / a.rate:.1f}x")


if __name__ == "__main__":
    main()
