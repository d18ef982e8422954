"""Evaluate one client and publish its full snapshot, the sink's input (jatkumo.client-results:
the relations' rows, encoded as streams/topics.py declares)."""

from datetime import date

from streams import topics
from streams.agents.context import Context
from streams.core import evaluate
from streams.core.event_ids import CONFLICT
from streams.core.results import IssueRow
from streams.core.state import holds_nothing
from streams.tables import Entry


def publish(ctx: Context, key: bytes, entry: Entry, as_of: date, stamp_ms: int) -> None:
    """Send the client's rows as of `as_of`."""
    result = evaluate(entry.state, as_of, ctx.rules)
    if entry.conflicts:  # SPEC.md 1.4: each losing content of the client's is an issue
        result.issues = sorted(result.issues + [
            IssueRow(event_id, result.client_id, CONFLICT) for event_id, _d in entry.conflicts])
    # A client whose every version lost has no row in clients, as in replay; asked on every
    # publish, not only with conflicts: the id stage retracts a dethroned version and names
    # its issue in two records, which two batches may take apart.
    result.listed = not holds_nothing(entry.state)
    owner = ctx.partition_of(key)
    ctx.send(owner, topics.CLIENT_RESULTS, key, topics.result_message(result, as_of, stamp_ms))
