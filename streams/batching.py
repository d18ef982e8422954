"""Whole fetched batches for a topic, instead of faust's path of one message at a time.

faust hands every consumed message to its conductor on its own (two tasks and an
`asyncio.wait` each), wraps it in an event, queues it to a stream and takes it back out:
about 140 µs of a core per message here, a ceiling of some 7,000 messages a second before any
work is done, whatever `stream.take` batches afterwards. A topic given a batch handler here
skips all that: each batch the consumer fetches goes to the handler as a list of messages,
and they are acknowledged only after the handler has returned, so faust's commit (which
flushes the producer first) never commits past work not done. Everything else is faust's
own: the consumer group and its assignor, the tables with their changelogs and recovery,
rebalances (which wait for every tracked message to be acknowledged), timers, and the
message-at-a-time path for every other topic (changelogs during recovery among them).

    app.transport = batch_transport(app)      # before app.consumer is first used
    handle_batches(app, topic, handler)       # handler(list of messages) -> awaitable
"""

from collections.abc import Awaitable, Callable
from typing import Any

from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as driver

BatchHandler = Callable[[list[Any]], Awaitable[None]]


class BatchConsumer(driver.Consumer):
    """faust's aiokafka consumer whose drain loop hands batch topics over a batch at a time."""

    async def _drain_messages(self, fetcher: Any) -> None:  # the Fetcher service runs it
        handlers: dict[str, BatchHandler] = self.transport.batch_handlers  # type: ignore[attr-defined]
        callback = self.callback
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        fetcher_stopped = fetcher._stopped.is_set
        try:
            while not (self._stopped.is_set() or fetcher_stopped()):
                self.diag.set_flag(CONSUMER_FETCHING)
                batches: dict[str, list[Any]] = {}
                await self.sleep(0)  # as faust does: getmany may not yield to the loop
                if self.should_stop:
                    break
                async for tp, message in self.getmany(timeout=1.0):
                    offset = message.offset
                    r_offset = read_offset[tp]
                    if r_offset is not None and offset < r_offset:
                        continue  # seen before a seek back: faust drops these too
                    if r_offset and offset - r_offset > 1 and acks_enabled_for(message.topic):
                        await self._add_gap(tp, r_offset + 1, offset)  # e.g. compaction
                    if message.topic in handlers:
                        self.track_message(message)  # a rebalance waits for its ack
                        batches.setdefault(message.topic, []).append(message)
                    else:
                        await self.wait_first(callback(message), self.suspend_flow.wait())
                    read_offset[tp] = offset
                for topic, messages in batches.items():
                    await handlers[topic](messages)
                    for message in messages:
                        self.ack(message)
                if self._commit_every is not None and self._n_acked >= self._commit_every:
                    self._n_acked = 0
                    await self.commit()
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)


class BatchTransport(driver.Transport):
    Consumer = BatchConsumer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_handlers: dict[str, BatchHandler] = {}


def batch_transport(app: Any) -> BatchTransport:
    return BatchTransport(app.conf.broker_consumer, app)


def handle_batches(app: Any, topic: Any, handler: BatchHandler) -> None:
    """Subscribe to `topic` (a faust topic) and give its messages to `handler` by the batch."""
    app.transport.batch_handlers.update({name: handler for name in topic.topics})
    app.topics.add(topic)
