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
    jatkumo.gap-changes      gap lifecycle: opened, changed, closed, withdrawn (for alerting)
    jatkumo.handoff-changes  a handoff_status row that appeared or changed status
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from streams.core.results import (
    ClientResult,
    ClientRow,
    ContractRow,
    GapRow,
    HandoffRow,
    IssueRow,
    ReferralRow,
    ViolationRow,
)

EVENTS = "jatkumo.events"
EVENT_IDS = "jatkumo.event-ids"
CLIENT_FACTS = "jatkumo.client-facts"
DEAD_LETTERS = "jatkumo.dead-letters"
CLIENT_RESULTS = "jatkumo.client-results"
GAP_CHANGES = "jatkumo.gap-changes"
HANDOFF_CHANGES = "jatkumo.handoff-changes"
# The worker's tables' changelogs (faust names them "{app id}-{table}-changelog"): made with the
# other topics, so the sink can read the event-id table's before any worker has started.
CLIENT_STATE_CHANGELOG = "jatkumo-worker-client-state-changelog"
EVENT_IDS_CHANGELOG = "jatkumo-worker-event-ids-changelog"
ALL = (EVENTS, EVENT_IDS, CLIENT_FACTS, DEAD_LETTERS, CLIENT_RESULTS, GAP_CHANGES,
       HANDOFF_CHANGES, CLIENT_STATE_CHANGELOG, EVENT_IDS_CHANGELOG)
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
    gap_changes: Any
    handoff_changes: Any


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
        gap_changes=topic(GAP_CHANGES),
        handoff_changes=topic(HANDOFF_CHANGES),
    )


# ---- the value of a jatkumo.client-results message: one client's complete evaluated rows ----
# {"client_id", "as_of": days since 1970-01-01, "t": ms timestamp of the newest source event,
#  "rows": {relation: [[column values in the row's field order], ...]}}; dates as epoch days.

_EPOCH = date(1970, 1, 1).toordinal()


def _value(v: Any) -> Any:
    return v.toordinal() - _EPOCH if isinstance(v, date) else v


def result_message(result: ClientResult, as_of: date, stamp_ms: int) -> bytes:
    client = result.client or (result.client_id, None, None, None, None)
    rows: dict[str, list[list[Any]]] = {"clients": [[_value(v) for v in client]]}
    for relation, attr in RESULT_RELATIONS.items():
        rows[relation] = [[_value(v) for v in row] for row in getattr(result, attr)]
    return orjson.dumps({"client_id": result.client_id, "as_of": as_of.toordinal() - _EPOCH,
                         "t": stamp_ms, "rows": rows})


# relation in DuckDB -> ClientResult attribute holding its rows
RESULT_RELATIONS = {"contracts": "contracts", "gap_rows": "gaps", "handoff_status": "handoffs",
                    "compliance_violations": "violations", "data_issues": "issues",
                    "referrals": "referrals"}
RESULT_FIELDS: dict[str, tuple[str, ...]] = {
    "clients": ClientRow._fields, "contracts": ContractRow._fields, "gap_rows": GapRow._fields,
    "handoff_status": HandoffRow._fields, "compliance_violations": ViolationRow._fields,
    "data_issues": IssueRow._fields, "referrals": ReferralRow._fields,
}
