"""SPEC.md 1.4: events that share an `event_id` count as one, whatever their order and whichever
clients or partitions they belong to.

Identical ones (the same text after parsing) are taken once, the rest counted as duplicates. If
their contents differ, the one with the latest `occurred_at` is taken, ties broken by the greatest
canonical JSON text, and every other content is a data issue `conflicting_event_id`.

A choice is a pure function of the set of versions (a maximum under a total order), so every
driver reaches the same one: replay in one process, replay's partitions, the Kafka stage keyed by
event id. The canonical text is taken after the door, with an identity code already replaced by
its pseudonym (`client_id`), so no driver ever has to keep or send a code to compare versions.
"""

from typing import Any, NamedTuple

import orjson

from schemas.events import Event
from streams.core.state import rank_of

CONFLICT = "conflicting_event_id"


class Version(NamedTuple):
    """One content seen under an event id. Ordered so that `max` is the version taken."""

    micros: int  # occurred_at in UTC microseconds
    canonical: str  # keys sorted at every depth, no spaces
    client: str


def canonical(obj: Any) -> str:
    """The canonical JSON text of a parsed event: keys sorted, no spaces, UTF-8 as it is."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()


def door_object(obj: dict[str, Any], client: str) -> dict[str, Any]:
    """A parsed event as the door passes it on: an identity code replaced by the pseudonym."""
    if "client_hetu" not in obj:
        return obj
    out = {k: v for k, v in obj.items() if k != "client_hetu"}
    out["client_id"] = client
    return out


def passed_on(event: Event, line: bytes) -> bytes:
    """The text of a valid, pseudonymised event as the door passes it on: the line as the
    source wrote it, or, when it carried an identity code, the same object with the code
    replaced by the pseudonym and nothing else changed. SPEC.md 1.4 compares the contents of
    events that share an id by their text after parsing, which a re-serialisation would
    change (a null left out, a timestamp rewritten); and replay keeps the text publish sends
    to the workers, so a relation holds one payload whichever way an event came in."""
    try:  # parsed, not searched: a key may be written with escapes
        obj = orjson.loads(line.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:  # the door's parser took what orjson will not
        return event.model_dump_json(exclude_none=True).encode()
    if not isinstance(obj, dict) or "client_hetu" not in obj:
        return line.rstrip(b"\r\n")
    return orjson.dumps(door_object(obj, event.client))


def version_of(event: Event, obj: dict[str, Any]) -> Version:
    """The content of a valid event as the door passes it on: `obj` (its parsed JSON) with the
    identity code replaced by the pseudonym and the event id as the model writes it (in small
    letters: an id sent in capitals and again in small letters is one id, one content)."""
    obj = {**obj, "event_id": event.event_id}
    return Version(rank_of(event)[0], canonical(door_object(obj, event.client)), event.client)


class Choice(NamedTuple):
    taken: Version
    duplicates: int  # versions identical to one already counted
    losers: tuple[Version, ...]  # distinct contents not taken: one data issue each


def choose(versions: list[Version]) -> Choice:
    """The version taken among all seen under one id, the duplicates and the losing contents."""
    distinct = sorted(set(versions))
    taken = distinct[-1]
    return Choice(taken, len(versions) - len(distinct), tuple(distinct[:-1]))


def beats(new: Version, current: Version) -> bool:
    """Whether a version seen later replaces the one taken so far (a streaming `choose`)."""
    return new > current
