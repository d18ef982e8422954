"""The topics of the live pipeline. Names are plain constants (the publisher and the sink use
them without faust); `declare(app)` makes the faust topic objects the agents read and write.

    jatkumo.events           input, keyed by client (pseudonym), partitioned by client
    jatkumo.event-ids        claims: what the client stage applied, keyed by event id (SPEC 1.4):
                             value = the canonical text, headers t (occurred_at in µs), c (client)
    jatkumo.client-facts     the id stage's corrections, keyed by client: headers op = a (apply
                             the canonical text in the value), r (retract the event id in the
                             value), i (a conflicting_event_id issue: value event id, header d =
                             digest); e: an event that came in another partition (header t)
    jatkumo.dead-letters     what could not be taken: value = masked raw, headers reason/origin
    jatkumo.client-results   compacted: per client, its complete evaluated rows (the sink's input)

There is no separate feed of gap or handoff changes: the alerts read the open gaps from the
relations the sink writes (services/alerts/service.py), the one source of truth, within a
second of the worker's result. Two such topics were produced and never read; they are gone.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from analytics import relations
from streams.core.codec import right_sized
from streams.core.results import ClientResult

EVENTS = "jatkumo.events"
EVENT_IDS = "jatkumo.event-ids"
CLIENT_FACTS = "jatkumo.client-facts"
DEAD_LETTERS = "jatkumo.dead-letters"
CLIENT_RESULTS = "jatkumo.client-results"
# The worker's tables' changelogs (faust names them "{app id}-{table}-changelog"): made with the
# other topics, so the sink can read the event-id table's before any worker has started.
CLIENT_STATE_CHANGELOG = "jatkumo-worker-client-state-changelog"
EVENT_IDS_CHANGELOG = "jatkumo-worker-event-ids-changelog"
ALL = (EVENTS, EVENT_IDS, CLIENT_FACTS, DEAD_LETTERS, CLIENT_RESULTS, CLIENT_STATE_CHANGELOG,
       EVENT_IDS_CHANGELOG)
# only the latest value per key matters
COMPACTED = frozenset({CLIENT_RESULTS, CLIENT_STATE_CHANGELOG, EVENT_IDS_CHANGELOG})
# The worker's inputs: co-partitioned (faust assigns partition p of each to one worker), so one
# transactional producer per partition number covers all three (streams.fencing)
INPUTS = (EVENTS, EVENT_IDS, CLIENT_FACTS)


@dataclass(frozen=True)
class Topics:
    events: Any
    event_ids: Any
    client_facts: Any
    dead_letters: Any
    client_results: Any


def declare(app: Any, partitions: int) -> Topics:
    """Raw bytes in and out: the door (schemas.door) does the parsing, not faust's codecs."""

    def topic(name: str, **kw: Any) -> Any:
        return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw",
                         value_serializer="raw", partitions=partitions, **kw)

    return Topics(
        events=topic(EVENTS),
        event_ids=topic(EVENT_IDS),
        client_facts=topic(CLIENT_FACTS),
        dead_letters=topic(DEAD_LETTERS),
        client_results=topic(CLIENT_RESULTS, compacting=True),
    )


# ---- the value of a jatkumo.client-results message: one client's complete evaluated rows ----
# {"client_id", "as_of": days since 1970-01-01, "t": ms timestamp of the newest source event,
#  "rows": {relation: [[values in the relation's declared column order], ...]}}; dates as epoch
# days. The relations and their columns are analytics/relations.py's RESULTS: the sink turns
# the rows back into Arrow tables with the same declarations (Relation.table) and inserts them
# by name.

_EPOCH = date(1970, 1, 1).toordinal()
RESULT_RELATIONS = {r.name: r for r in relations.RESULTS}


def encoded(v: Any) -> Any:
    """orjson's `default` for a client result (result_message), and for rows read back from
    a file (bench/sink.py). What orjson leaves to us there: a row (a NamedTuple, which it does not
    take) as its list, a date (passed through) as days since 1970-01-01."""
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, date):
        return v.toordinal() - _EPOCH
    raise TypeError(f"not in a client result: {type(v).__name__}")


def result_rows(result: ClientResult, relation: relations.Relation) -> list[tuple[Any, ...]]:
    """One client's rows of a relation in RESULTS, values in declared column order."""
    if relation.result_attr is None:  # clients: one row per client, registered or not
        return list(result.client_rows())
    rows: list[tuple[Any, ...]] = getattr(result, relation.result_attr)
    return rows


# The as-of date alone, keyed by a key no client id can be ('#' is outside SPEC.md 1.1's
# characters): sent by every refresh, so that a file whose events are all dead letters (no
# client, no snapshot) has its as-of row too, as replay's has (SPEC.md 5: one row).
AS_OF_KEY = b"#as-of"


def as_of_message(as_of: date) -> bytes:
    return orjson.dumps({"as_of": as_of.toordinal() - _EPOCH})


def result_message(result: ClientResult, as_of: date, stamp_ms: int) -> bytes:
    # orjson walks the rows and calls `encoded` for each row and date: a comprehension
    # calling a converter for every value cost 20 µs a client, this 11.5 (60 clients)
    rows = {r.name: result_rows(result, r) for r in relations.RESULTS}
    return right_sized(orjson.dumps({"client_id": result.client_id,
                                     "as_of": as_of.toordinal() - _EPOCH, "t": stamp_ms,
                                     "rows": rows}, default=encoded,
                                    option=orjson.OPT_PASSTHROUGH_DATETIME))
