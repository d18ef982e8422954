"""The faust app of the stream worker: `create_app(...)` wires topics, the tables, the
handler and the timers. Nothing connects at import time; services/worker.py runs it."""

import logging
from pathlib import Path
from typing import Any

from streams import batching, kafka_internals, tables, topics
from streams.agents import events, refresh
from streams.agents.context import AsOfClock, Context
from streams.core import Rules
from streams.fencing import Transactions

APP_ID = "jatkumo-worker"  # the consumer group: workers with this id share the partitions
log = logging.getLogger("jatkumo.worker")


class WorkerApp(kafka_internals.App):
    """faust's app whose assignment first takes the transactional producers of the
    partitions assigned (fencing their previous owners) and lets go of the others, before
    faust's recovery reads any changelog or committed offset (streams.fencing)."""

    jatkumo: Context | None = None

    async def on_assignment(self, assigned: Any) -> bool:
        ctx = self.jatkumo
        if ctx is not None and not self.should_stop:
            held = {tp.partition for tp in assigned if tp.topic in topics.INPUTS}
            log.info("assigned partitions %s: taking their transactional producers",
                     sorted(held))
            try:
                lost = await ctx.transactions.hold(held)
            except Exception as exc:  # the broker would not give us the producers
                if ctx.transactions.closed:  # or the worker stops while it waits for them
                    return False  # a stop cut short: no crash, no traceback
                await self.crash(exc)
                return False
            if lost:
                ctx.forget(lost)
                log.info("gave up partitions %s; holding %s", sorted(lost), sorted(held))
        return True

    async def on_stop(self) -> None:
        await super().on_stop()
        if self.jatkumo is not None:
            await self.jatkumo.transactions.close()


def broker_url(bootstrap: str) -> str:
    return ";".join(f"kafka://{h.strip()}" for h in bootstrap.split(",") if h.strip())


def create_app(bootstrap: str, *, partitions: int, replication: int, rules: Rules,
               key: bytes | None, as_of: str, web_port: int, datadir: Path,
               batch_size: int = 20_000, batch_events: int = 100_000,
               refresh_seconds: float = 30.0,
               session_timeout: float = 15.0) -> tuple[Any, Context]:
    app = WorkerApp(
        APP_ID,
        broker=broker_url(bootstrap),
        store="memory://",
        TableManager=tables.TableManager,
        # raw bytes everywhere (the door parses): also what table recovery reads back
        key_serializer="raw",
        value_serializer="raw",  # recovery is from the changelog topic, not local files
        datadir=str(datadir),
        topic_partitions=partitions,
        topic_replication_factor=replication,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger_ms=5,
        table_standby_replicas=0,
        # a worker killed without a goodbye holds its partitions until its session expires:
        # keep that short (batches stay well under it; heartbeats run between them)
        broker_session_timeout=session_timeout,
        # dead members leave a rebalance after this, not 60 s
        broker_rebalance_timeout=session_timeout + 5.0,
        broker_heartbeat_interval=session_timeout / 5,
        broker_max_poll_records=batch_size,  # the most one fetch hands over
        # prefetched per partition: what a batch of a backlog can gather (streams.batching)
        consumer_max_fetch_size=4 * 1024 * 1024,
        # faust's web server listens on every interface by default: loopback only
        web_enabled=web_port > 0,
        web_bind="127.0.0.1",
        web_port=web_port or 6066,
        web_host="127.0.0.1",
    )
    # events by the batch, not one by one
    app.transport = batching.batch_transport(app, batch_events)
    ctx = Context(app=app, topics=topics.declare(app, partitions),
                  table=tables.declare(app, partitions),
                  ids=tables.declare(app, partitions, tables.ID_TABLE), rules=rules, key=key,
                  clock=AsOfClock(as_of), partitions=partitions,
                  transactions=Transactions(bootstrap, APP_ID), refresh_seconds=refresh_seconds)
    app.jatkumo = ctx
    events.register(ctx)
    refresh.register(ctx)
    return app, ctx
