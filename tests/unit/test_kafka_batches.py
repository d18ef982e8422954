"""services.kafka_batches writes Kafka's record batches itself (publish's speed): kafka-python's
own reader must read them back exactly, CRC and all, and the varints must be Kafka's."""

import random

from kafka.record import MemoryRecords
from kafka.record.util import decode_varint, encode_varint
from kafka.structs import TopicPartition

from services.kafka_batches import (
    BATCH_BYTES,
    BatchProducer,
    Pending,
    _varint,
    append,
    batch,
    record,
    varint,
)


def test_varints_are_kafkas_zigzag_varints() -> None:
    for n in [0, 1, -1, 63, 64, -64, -65, 127, 128, 300, 16_383, 16_384, 65_535, 65_536,
              2**31 - 1, -(2**31), 2**40]:
        out = bytearray()
        encode_varint(n, out.append)
        assert varint(n) == _varint(n) == bytes(out), n
        assert decode_varint(bytes(out), 0)[0] == n


def test_a_batch_reads_back_with_kafka_pythons_reader() -> None:
    records = [
        (b"client-1", b'{"event_id":"a"}', []),
        (None, b"x" * 70_000, [("reason", b"r\xc3\xa4"), ("origin", b"f.jsonl:3")]),
        (b"", b"", []),
        (b"k" * 200, "ä".encode() * 40_000, [("h", b"")]),
    ]
    encoded = [record(i, k, v, h) for i, (k, v, h) in enumerate(records)]
    data = batch(encoded, len(encoded), producer_id=4711, epoch=3, sequence=1_000,
                 timestamp_ms=1_733_000_000_000)
    reader = MemoryRecords(data)
    got = reader.next_batch()
    assert got is not None and reader.next_batch() is None
    assert got.validate_crc()
    assert (got.producer_id, got.producer_epoch, got.base_sequence) == (4711, 3, 1_000)
    assert got.magic == 2 and not got.is_transactional and got.compression_type == 0
    read = list(got)
    assert [(r.key, r.value, list(r.headers)) for r in read] == [
        (k, v, h) for k, v, h in records]
    assert [r.offset for r in read] == [0, 1, 2, 3]
    assert all(r.timestamp == 1_733_000_000_000 for r in read)


def test_a_spoilt_batch_fails_its_crc() -> None:
    data = bytearray(batch([record(0, b"k", b"value")], 1, 1, 0, 0, 0))
    data[-1] ^= 1
    got = MemoryRecords(bytes(data)).next_batch()
    assert got is not None and not got.validate_crc()


def test_records_appended_by_publish_read_back_in_order() -> None:
    """`append` writes publish's usual record (a key, no headers) in pieces, the rest whole;
    both read back alike, in order, with their offsets."""
    pending = Pending()
    sent = [(f"client-{i % 7}".encode(), f'{{"n":{i}}}'.encode() * (i % 50), [])
            for i in range(3_000)]
    sent[5] = (None, b"dead letter", [("reason", b"why")])
    sent[6] = (b"k", b"v" * 70_000, [])  # a value too long for the varint table
    for key, value, headers in sent:
        append(pending, key, value, headers)
    assert pending.count == len(sent)
    got = MemoryRecords(batch(pending.parts, pending.count, 1, 0, 0, 0)).next_batch()
    assert got is not None and got.validate_crc()
    read = list(got)
    assert [(r.key, r.value, list(r.headers)) for r in read] == sent
    assert [r.offset for r in read] == list(range(len(sent)))


class _Offline(BatchProducer):
    """A BatchProducer without a broker (six partitions of one topic) whose requests are kept
    as the batches they would carry: records are encoded and split as they would be sent."""

    def __init__(self) -> None:  # no super(): nothing to connect to
        self.partitions = {"t": list(range(6))}
        self._partition_of, self._key_parts, self._pending = {}, {}, {}
        self._waiting = self._null_turn = 0
        self._inflight = {}
        self.sent: list[tuple[TopicPartition, bytes]] = []

    def _send(self) -> None:
        for tp, pending in self._pending.items():
            if pending.count:
                self.sent.append((tp, batch(pending.parts, pending.count, 1, 0, 0, 0)))
                pending.reset()
        self._waiting = 0


def test_extended_records_read_back_in_their_keys_partitions_in_order() -> None:
    """extend() (publish's events, encoded a partition's run at a time) and add() (any
    record, one at a time) give the same records; a key's records stay in its partition, in
    the order given, over batches split by size and chunks of every size."""
    rng = random.Random(7)
    prod = _Offline()
    sent = [(f"client-{i % 23}".encode(), f'{{"n":{i},"pad":"{"x" * rng.randrange(900)}"}}'
             .encode()) for i in range(12_000)]
    sent[7] = (b"client-7", b"v" * 70_000)  # longer than the varint table: one at a time
    sent[8] = (b"k" * 70_000, b"long key")
    sent[9] = (b"client-9", b"v" * 65_530)  # its record's length is longer than the table
    i = 0
    while i < len(sent):
        n = rng.choice([1, 2, 17, 500, 4096])
        if rng.random() < 0.2:
            for key, value in sent[i:i + n]:
                prod.add("t", key, value)
        else:
            keys, values = zip(*sent[i:i + n], strict=True)
            prod.extend("t", list(keys), list(values))
        i += n
    prod.flush()
    assert len(prod.sent) > 2 * 6  # several batches per partition
    got: dict[bytes, list[bytes]] = {}
    for tp, data in prod.sent:
        read = MemoryRecords(data).next_batch()
        assert read is not None and read.validate_crc()
        assert len(data) < BATCH_BYTES + 71_000
        records = list(read)
        assert [r.offset for r in records] == list(range(len(records)))
        for r in records:
            assert r.key is not None and not list(r.headers) and r.timestamp == 0
            assert prod.partition("t", r.key) == tp.partition
            got.setdefault(r.key, []).append(r.value)
    want: dict[bytes, list[bytes]] = {}
    for key, value in sent:
        want.setdefault(key, []).append(value)
    assert got == want
