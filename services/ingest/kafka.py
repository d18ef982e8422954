"""Ingest in front of Kafka: each request's events are published to jatkumo.events (keyed by
client, after the door) and its dead letters to jatkumo.dead-letters with acks=all and an
idempotent producer, every send confirmed before the answer; here every valid event is
answered `accepted`. If a send fails the request is answered 503 and part of it may be on the
topic: sending it again is safe, as the workers count a second copy of an event id as a
duplicate (SPEC.md 1.4). (One Kafka transaction a request would make it all-or-nothing; the
workers and the sink read committed records only, so that is open to a later step.)
The value sent is the request's own text (the pseudonym in place of an identity code), so
that the workers compare versions of an event id by the text replay compares."""

import socket
from collections.abc import Sequence
from typing import Any

from schemas.door import DeadLetter, admit, dead_letter
from services.ingest.embedded import Answer, Item
from services.publish import dead_letter_message, event_message
from streams import topics

CLOSE_SECONDS = 10


class KafkaTaker:
    def __init__(self, bootstrap: str, key: bytes | None, name: str | None = None) -> None:
        from kafka import KafkaProducer

        self.key = key
        self.producer: Any = KafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5,
            client_id=f"jatkumo-ingest-{name or socket.gethostname()}")

    def take(self, items: Sequence[Item]) -> list[Answer]:
        answers: list[Answer] = []
        sent = []
        try:
            for item in items:
                got = admit(item.raw, item.origin, self.key)
                if not isinstance(got, DeadLetter) and item.source is not None \
                        and got.source != item.source:
                    got = dead_letter(item.raw, f"source: must be {item.source!r}, the source "
                                      "system of the token", item.origin)
                if isinstance(got, DeadLetter):
                    value, headers = dead_letter_message(got)
                    sent.append(self.producer.send(topics.DEAD_LETTERS, value=value,
                                                   headers=headers))
                    answers.append(Answer("dead_letter", None, got.reason))
                    continue
                key, value = event_message(got, item.raw)
                sent.append(self.producer.send(topics.EVENTS, key=key, value=value))
                answers.append(Answer("accepted", got.event_id))
        finally:
            self.producer.flush()
        for future in sent:
            future.get(timeout=60)  # raises if any in-sync replica did not take it: a 503
        return answers

    def close(self) -> None:
        # Bounded: every answer waited for its sends, so what a close could still flush was
        # answered 503 (or never answered) and is sent again by its source. Unbounded (kafka-
        # python's default), a stop with the broker gone waited for ever.
        self.producer.close(timeout=CLOSE_SECONDS)
