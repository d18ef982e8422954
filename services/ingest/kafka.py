"""Ingest in front of Kafka: each request's events are published to jatkumo.events (keyed by
client, after the door) and its dead letters to jatkumo.dead-letters in ONE Kafka transaction
with acks=all, committed before the answer. The workers and the sink read committed records
only, so a request is taken whole or not at all, and a retried one is de-duplicated by event id
downstream (SPEC.md 1.4); here every valid event is answered `accepted`."""

import socket
from collections.abc import Sequence
from typing import Any

from schemas.door import DeadLetter, admit, dead_letter
from services.ingest.embedded import Answer, Item
from services.publish import dead_letter_message, event_message
from streams import topics


class KafkaTaker:
    def __init__(self, bootstrap: str, key: bytes | None, name: str | None = None) -> None:
        from kafka import KafkaProducer

        self.key = key
        # Stable per gateway: a restarted gateway fences its own unfinished transaction.
        tid = f"jatkumo-ingest-{name or socket.gethostname()}"
        self.producer: Any = KafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
            transactional_id=tid, linger_ms=5, client_id="jatkumo-ingest")
        self.producer.init_transactions()

    def take(self, items: Sequence[Item]) -> list[Answer]:
        answers: list[Answer] = []
        self.producer.begin_transaction()
        try:
            for item in items:
                got = admit(item.raw, item.origin, self.key)
                if not isinstance(got, DeadLetter) and item.source is not None \
                        and got.source != item.source:
                    got = dead_letter(item.raw, f"source: must be {item.source!r}, the source "
                                      "system of the token", item.origin)
                if isinstance(got, DeadLetter):
                    value, headers = dead_letter_message(got)
                    self.producer.send(topics.DEAD_LETTERS, value=value, headers=headers)
                    answers.append(Answer("dead_letter", None, got.reason))
                    continue
                key, value = event_message(got)
                self.producer.send(topics.EVENTS, key=key, value=value)
                answers.append(Answer("accepted", got.event_id))
            self.producer.commit_transaction()  # flushes; waits for every in-sync replica
        except BaseException:
            self.producer.abort_transaction()
            raise
        return answers

    def close(self) -> None:
        self.producer.close()
