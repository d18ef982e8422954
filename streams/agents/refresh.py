"""Re-evaluating every client this worker holds: after the table is recovered (a restart or a
rebalance: the snapshots of that moment may not all have reached Kafka) and whenever the
as-of date moves (the daily timer of a live worker, or a backfill moving the latest date), so
a gap that opens because nothing happened is found without waiting for another event."""

import asyncio
import gc
import time

from streams import topics
from streams.agents import results
from streams.agents.context import Context, log


def register(ctx: Context) -> None:
    @ctx.app.timer(ctx.refresh_seconds, name="jatkumo-refresh")  # type: ignore[untyped-decorator]
    async def refresh_when_as_of_moves() -> None:
        if ctx.clock.current() != ctx.refreshed_as_of:
            await refresh_all(ctx)

    @ctx.table.on_recover  # type: ignore[untyped-decorator]
    async def refresh_after_recovery() -> None:
        await refresh_all(ctx, recovered=True)


async def refresh_all(ctx: Context, recovered: bool = False) -> None:
    started = time.monotonic()
    if recovered:
        ctx.cache.clear()
    owned = ctx.owned()
    keys = [k for k in list(ctx.table.keys()) if ctx.partition_of(k) in owned]  # bytes
    if recovered:  # the latest date seen survives a restart through the entries
        for key in keys:
            ctx.clock.see(ctx.entry(key).latest_day)
    as_of = ctx.clock.current()
    for n, key in enumerate(keys, start=1):
        # the cached entry, taken again after every await: events handled meanwhile changed
        # that same entry, so nothing is published from an older copy. Evaluating does not
        # change the entry, so nothing is written back.
        results.publish(ctx, key, ctx.entry(key), as_of, 0)
        if n % 200 == 0:
            await ctx.flush()  # also lets the consumer's heartbeats and fetches run
            await asyncio.sleep(0)
    if owned and ctx.clock.decided():  # the date alone, for a file with no client yet
        ctx.send(min(owned), topics.CLIENT_RESULTS, topics.AS_OF_KEY,
                 topics.as_of_message(as_of))
    await ctx.flush()
    ctx.refreshed_as_of = as_of
    if recovered:
        # The recovered states live as long as the worker: out of the collector's sight, so
        # that its full collections do not walk them again and again (pauses of a second)
        gc.freeze()
    log.info("refreshed %d clients of partitions %s as of %s in %.1f s", len(keys),
             sorted(owned), as_of, time.monotonic() - started)
