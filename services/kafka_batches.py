"""An idempotent Kafka producer for whole files (`jatkumo publish`): records are encoded straight
into Kafka's record batches (format v2, one per partition) and sent as one produce request per
broker, acks=all.

Why not KafkaProducer.send: a profile of publish on the simulated region (453k lines) put
kafka-python's `send` at 3-4 times the door's own cost per event (metadata check, a pure-Python
murmur2, the accumulator's lock and a future per record, the record's varints one call each), so
publish could never reach the door's speed. Here a record is a few table look-ups appended to a
list, and a batch is one join and one CRC-32C in C.

What is kept of KafkaProducer's guarantees:
- the partition of a key is kafka-python's DefaultPartitioner's (the Java client's murmur2),
  cached per key: a client's events land in the partition every other producer (the HTTP
  ingest's KafkaProducer) picks for that client;
- idempotence: a producer id from the broker (InitProducerId) and a sequence number per
  partition in every batch, so a request sent again after an error is written once; one
  request in flight per broker at a time, so a partition's batches are written in order;
- acks=all: a request counts as done when every in-sync replica has it;
- a record the broker refuses is counted by its error (the caller raises PublishError).

kafka-python (the owner's stack for the publisher and administration) still does the
connections, metadata, protocol versions and the requests' wire format (KafkaClient, its
public protocol classes); only the record batches are ours. tests/unit/test_kafka_batches.py
reads our batches back with kafka-python's own reader (CRC checked)."""

import struct
import time
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from operator import add as plus
from typing import Any

from crc32c import crc32c
from kafka import KafkaClient
from kafka import errors as kerrors
from kafka.partitioner.default import DefaultPartitioner
from kafka.protocol.init_producer_id import InitProducerIdRequest
from kafka.protocol.produce import ProduceRequest
from kafka.structs import TopicPartition

Header = tuple[str, bytes]

# A batch's header (KIP-98 record batch, magic 2): base offset, length, leader epoch, magic,
# CRC, attributes, last offset delta, first and max timestamp, producer id and epoch, base
# sequence, record count.
_HEAD = struct.Struct(">qiibIhiqqqhii")
_CRC_FROM = 21  # the CRC covers everything from the attributes on
BATCH_BYTES = 512 * 1024  # a partition's batch is closed at about this size (the broker's
# default limit per batch is 1 MiB)
REQUEST_BYTES = 4 * 1024 * 1024  # a request is sent once this much waits, or at flush
RETRIES = 5


def _varint(n: int) -> bytes:
    """Kafka's signed varint: zigzag, then base 128, low groups first."""
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


# The varints of every length and offset delta below 64 Ki, looked up instead of computed.
_SMALL = 1 << 16
_V = [_varint(i) for i in range(_SMALL)]
_NULL = _varint(-1)
# A record's attributes and timestamp delta (both 0), then its offset delta, by offset delta.
_HEADS = [b"\x00\x00" + v for v in _V]


def varint(n: int) -> bytes:
    return _V[n] if 0 <= n < _SMALL else _varint(n)


def record(offset_delta: int, key: bytes | None, value: bytes,
           headers: Iterable[Header] = ()) -> bytes:
    """One record of a v2 batch: attributes 0, timestamp delta 0 (the batch's time)."""
    parts = [b"\x00\x00", varint(offset_delta)]
    if key is None:
        parts.append(_NULL)
    else:
        parts += (varint(len(key)), key)
    parts += (varint(len(value)), value)
    hs = list(headers)
    parts.append(varint(len(hs)))
    for name, hv in hs:
        k = name.encode()
        parts += (varint(len(k)), k, varint(len(hv)), hv)
    body = b"".join(parts)
    return varint(len(body)) + body


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class Pending:
    """The records waiting for one partition's next batch. One object per partition for the
    producer's life (emptied by `reset` when its batch is sent), so that a cache from a key
    to its partition's Pending stays valid."""

    parts: list[bytes] = field(default_factory=list)
    count: int = 0
    size: int = 0
    # every record's timestamp (CreateTime): when the batch's first record came, as
    # KafkaProducer stamps a record when send is called (the workers pass it on as a stamp)
    created_ms: int = field(default_factory=_now_ms)

    def reset(self) -> None:
        self.parts = []
        self.count = 0
        self.size = 0


def append(pending: Pending, key: bytes | None, value: bytes,
           headers: Iterable[Header] = ()) -> int:
    """Add a record to a partition's pending batch; returns about how many bytes it takes."""
    kl, vl = (len(key) if key is not None else 0), len(value)
    if not pending.count:
        pending.created_ms = _now_ms()
    if key is not None and not headers and kl < _SMALL and vl < _SMALL \
            and pending.count < _SMALL:
        # publish's usual record, its pieces straight into the batch (one join a batch)
        od, k, v = _V[pending.count], _V[kl], _V[vl]
        size = 3 + len(od) + len(k) + kl + len(v) + vl
        pending.parts += (_V[size] if size < _SMALL else _varint(size), b"\x00\x00", od, k,
                          key, v, value, b"\x00")
        size += 3  # its own length's varint is at most 3 bytes: an estimate is enough
    else:
        rec = record(pending.count, key, value, headers)
        pending.parts.append(rec)
        size = len(rec)
    pending.count += 1
    pending.size += size
    return size


def batch(records: list[bytes], count: int, producer_id: int, epoch: int, sequence: int,
          timestamp_ms: int) -> bytes:
    """A v2 record batch of `count` encoded records (their offset deltas 0..count-1)."""
    body = b"".join(records)
    head = bytearray(_HEAD.pack(0, _HEAD.size - 12 + len(body), -1, 2, 0, 0, count - 1,
                                timestamp_ms, timestamp_ms, producer_id, epoch, sequence,
                                count))
    # the CRC of the head's tail, continued over the body: the body is not copied for it
    crc = crc32c(body, crc32c(bytes(head[_CRC_FROM:])))
    struct.pack_into(">I", head, 17, crc)
    return bytes(head) + body


@dataclass
class _Request:
    node: int
    batches: dict[TopicPartition, tuple[bytes, int]]  # the batch and its record count
    future: Any
    attempt: int = 0


class BatchProducer:
    """add() records, then flush(); `failures` counts records the broker refused, by error."""

    def __init__(self, bootstrap: str, client_id: str, timeout_ms: int = 30_000) -> None:
        self.client: Any = KafkaClient(bootstrap_servers=bootstrap, client_id=client_id)
        self.timeout_ms = timeout_ms
        self.failures: dict[str, int] = {}
        self.partitions: dict[str, list[int]] = {}
        self._pending: dict[TopicPartition, Pending] = {}
        self._waiting = 0  # bytes in every pending batch
        self._sequence: dict[TopicPartition, int] = {}
        self._inflight: dict[int, _Request] = {}
        self._partition_of: dict[str, dict[bytes, int]] = {}
        self._key_parts: dict[bytes, bytes] = {}  # extend()'s: a key as a record writes it
        self._null_turn = 0
        self.producer_id, self.epoch = self._init_producer_id()

    # --- set-up ------------------------------------------------------------------------------

    def _node(self) -> int:
        """A broker of the cluster (not the bootstrap address: its id is not a node's)."""
        deadline = time.monotonic() + self.timeout_ms / 1000
        while True:
            if not self.client.cluster.brokers():
                self.client.poll(future=self.client.cluster.request_update(), timeout_ms=500)
            node = self.client.least_loaded_node()
            if isinstance(node, int) and self.client.await_ready(node,
                                                                 timeout_ms=self.timeout_ms):
                return node
            if time.monotonic() > deadline:
                raise kerrors.KafkaTimeoutError("no broker answered")
            self.client.poll(future=self.client.cluster.request_update(), timeout_ms=500)

    def _init_producer_id(self) -> tuple[int, int]:
        version = self.client.api_version(InitProducerIdRequest, max_version=1)
        for attempt in range(RETRIES + 1):
            response = self.client.send_and_receive(self._node(), InitProducerIdRequest[version](
                transactional_id=None, transaction_timeout_ms=self.timeout_ms))
            error = kerrors.for_code(response.error_code)
            if error is kerrors.NoError:
                return int(response.producer_id), int(response.producer_epoch)
            if not error.retriable or attempt == RETRIES:
                raise error(f"InitProducerId: {error.__name__}")
            time.sleep(0.1 * 2**attempt)
        raise AssertionError("unreachable")

    def topic(self, topic: str) -> list[int]:
        """The partitions of a topic (waiting for the broker's metadata, which may create it)."""
        known = self.partitions.get(topic)
        if known is not None:
            return known
        deadline = time.monotonic() + self.timeout_ms / 1000
        future = self.client.add_topic(topic)
        while True:
            self.client.poll(future=future, timeout_ms=500)
            parts = self.client.cluster.partitions_for_topic(topic)
            if parts:
                self.partitions[topic] = sorted(parts)
                return self.partitions[topic]
            if time.monotonic() > deadline:
                raise kerrors.KafkaTimeoutError(f"no metadata for topic {topic}")
            time.sleep(0.1)
            future = self.client.cluster.request_update()

    # --- records -----------------------------------------------------------------------------

    def partition(self, topic: str, key: bytes | None) -> int:
        """KafkaProducer's partition for a key (murmur2, the Java client's); a record with no
        key goes round the partitions."""
        parts = self.topic(topic)
        if key is None:
            self._null_turn += 1
            return parts[self._null_turn % len(parts)]
        cache = self._partition_of.get(topic)
        if cache is None:
            cache = self._partition_of[topic] = {}
        p = cache.get(key)
        if p is None:  # each client's partition once: murmur2 in Python costs ~2 µs
            p = cache[key] = int(DefaultPartitioner()(key, parts, parts))
        return p

    def _pending_for(self, tp: TopicPartition) -> Pending:
        pending = self._pending.get(tp)
        if pending is None:
            pending = self._pending[tp] = Pending()
        return pending

    def add(self, topic: str, key: bytes | None, value: bytes,
            headers: Iterable[Header] = ()) -> None:
        pending = self._pending_for(TopicPartition(topic, self.partition(topic, key)))
        if pending.size >= BATCH_BYTES:
            self._send()
        size = append(pending, key, value, headers)
        self._waiting += size
        if self._waiting >= REQUEST_BYTES:
            self._send()

    def extend(self, topic: str, keys: list[bytes], values: list[bytes]) -> None:
        """`add` of many records with keys and no headers to `topic` (publish's events), each
        partition's in the order given. Done a partition's run at a time in passes that run
        in C (map, zip, sort, slice assignment) rather than Python code per record: `add` of
        publish's usual record cost 1.2-2 µs, mostly the interpreter's; this about 0.8 µs
        with the batches' joins (bench/publish.py's door only against publish)."""
        cache = self._partition_of.setdefault(topic, {})
        try:
            parts = list(map(cache.__getitem__, keys))
        except KeyError:  # keys not seen before: their partitions, once (murmur2 in Python)
            for key in set(keys).difference(cache):
                self.partition(topic, key)
            parts = list(map(cache.__getitem__, keys))
        order = sorted(range(len(keys)), key=parts.__getitem__)  # stable: in order per partition
        ordered = list(map(parts.__getitem__, order))
        at = 0
        while at < len(order):
            end = bisect_right(ordered, ordered[at], at)
            run = order[at:end]
            self._extend_partition(TopicPartition(topic, ordered[at]),
                                   list(map(keys.__getitem__, run)),
                                   list(map(values.__getitem__, run)))
            at = end
        if self._waiting >= REQUEST_BYTES:
            self._send()

    def _extend_partition(self, tp: TopicPartition, keys: list[bytes], values: list[bytes],
                          ) -> None:
        """One partition's records into its batches (closed and sent as they fill), encoded
        as `append` encodes publish's usual record: length, attributes and timestamp delta
        (0), offset delta, key, value, no headers (a test reads both back alike)."""
        written = self._key_parts
        try:
            key_parts = list(map(written.__getitem__, keys))
        except KeyError:
            for key in set(keys).difference(written):
                written[key] = varint(len(key)) + key
            key_parts = list(map(written.__getitem__, keys))
        value_lengths = list(map(len, values))
        if max(value_lengths, default=0) + max(map(len, key_parts), default=0) >= _SMALL - 16:
            for key, value in zip(keys, values, strict=True):  # a long record: one at a time
                self.add(tp.topic, key, value)
            return
        value_varints = list(map(_V.__getitem__, value_lengths))
        pending = self._pending_for(tp)
        i, n = 0, len(values)
        while i < n:
            count = pending.count
            if count >= _SMALL - 1 or (count and pending.size >= BATCH_BYTES):
                self._send()  # empties every batch, this one too
                continue
            take = min(n - i, _SMALL - 1 - count, 8192)
            # each record but its length: attributes and timestamp delta (0), offset delta,
            # key, value, no headers; one join each (shorter than _SMALL: checked above)
            bodies = list(map(b"".join, zip(_HEADS[count:count + take], key_parts[i:i + take],
                                            value_varints[i:i + take], values[i:i + take],
                                            repeat(b"\x00"))))
            lengths = list(map(len, bodies))
            length_varints = list(map(_V.__getitem__, lengths))
            ends = list(accumulate(map(plus, map(len, length_varints), lengths)))
            k = bisect_right(ends, BATCH_BYTES - pending.size)
            if not k:
                if count:
                    self._send()
                    continue
                k = 1  # an empty batch takes a record of any size
            if not count:
                pending.created_ms = _now_ms()
            pieces: list[bytes] = [b""] * (2 * k)
            pieces[0::2] = length_varints[:k]
            pieces[1::2] = bodies[:k]
            pending.parts += pieces
            pending.count = count + k
            pending.size += ends[k - 1]
            self._waiting += ends[k - 1]
            i += k

    def flush(self) -> None:
        """Send what waits and wait for every request's answer."""
        self._send()
        for node in list(self._inflight):
            self._settle(node)

    def close(self) -> None:
        self.client.close()

    # --- requests ----------------------------------------------------------------------------

    def _send(self) -> None:
        """Close every pending batch, give it its sequence numbers, and send one request per
        leader (after that leader's previous request has its answer: in order)."""
        by_node: dict[int, dict[TopicPartition, tuple[bytes, int]]] = {}
        for tp, pending in self._pending.items():
            if not pending.count:
                continue
            seq = self._sequence.get(tp, 0)
            self._sequence[tp] = (seq + pending.count) % 2**31
            data = batch(pending.parts, pending.count, self.producer_id, self.epoch, seq,
                         pending.created_ms)
            by_node.setdefault(self._leader(tp), {})[tp] = (data, pending.count)
            pending.reset()
        self._waiting = 0
        for node, batches in by_node.items():
            self._settle(node)
            self._request(node, batches, 0)
        self.client.poll(timeout_ms=0)  # start writing now, not at the next answer

    def _leader(self, tp: TopicPartition) -> int:
        deadline = time.monotonic() + self.timeout_ms / 1000
        while True:
            node = self.client.cluster.leader_for_partition(tp)
            if node is not None and node >= 0:
                return int(node)
            if time.monotonic() > deadline:
                raise kerrors.KafkaTimeoutError(f"no leader for {tp}")
            self.client.poll(future=self.client.cluster.request_update(), timeout_ms=500)

    def _request(self, node: int, batches: dict[TopicPartition, tuple[bytes, int]],
                 attempt: int) -> None:
        version = self.client.api_version(ProduceRequest, max_version=8)
        topics: dict[str, list[tuple[int, bytes]]] = {}
        for tp, (data, _count) in batches.items():
            topics.setdefault(tp.topic, []).append((tp.partition, data))
        request = ProduceRequest[version](
            transactional_id=None, required_acks=-1, timeout=self.timeout_ms,
            topics=list(topics.items()))
        if not self.client.await_ready(node, timeout_ms=self.timeout_ms):
            future = None
        else:
            future = self.client.send(node, request)
        self._inflight[node] = _Request(node, batches, future, attempt)

    def _settle(self, node: int) -> None:
        """Wait for the answer to a node's request; send again what failed and may be retried
        (the same batches, the same sequence numbers: the broker writes them once)."""
        while (req := self._inflight.pop(node, None)) is not None:
            retry: dict[TopicPartition, tuple[bytes, int]] = {}
            if req.future is None:
                retry = req.batches
            else:
                self.client.poll(future=req.future)
                if req.future.failed():
                    if not getattr(req.future.exception, "retriable", True):
                        self._failed(type(req.future.exception).__name__, req.batches.values())
                    else:
                        retry = req.batches
                else:
                    for topic, partitions in req.future.value.topics:
                        for answer in partitions:
                            tp = TopicPartition(topic, answer[0])
                            error = kerrors.for_code(answer[1])
                            if error in (kerrors.NoError, kerrors.DuplicateSequenceNumberError):
                                continue
                            if error.retriable:
                                retry[tp] = req.batches[tp]
                            else:
                                self._failed(error.__name__, [req.batches[tp]])
            if not retry:
                return
            if req.attempt >= RETRIES:
                self._failed("retries exhausted", retry.values())
                return
            time.sleep(0.1 * 2**req.attempt)
            self.client.poll(future=self.client.cluster.request_update(), timeout_ms=1000)
            regrouped: dict[int, dict[TopicPartition, tuple[bytes, int]]] = {}
            for tp, b in retry.items():
                regrouped.setdefault(self._leader(tp), {})[tp] = b
            for other, batches in regrouped.items():
                if other != node:
                    self._settle(other)
                self._request(other, batches, req.attempt + 1)
                if other != node:
                    self._settle(other)

    def _failed(self, name: str, batches: Iterable[tuple[bytes, int]]) -> None:
        self.failures[name] = self.failures.get(name, 0) + sum(c for _b, c in batches)
