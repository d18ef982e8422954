"""Evaluate one client and publish what changed: the full snapshot (for the sink), the gap
lifecycle and handoff status changes (for alerting and other consumers)."""

from datetime import date

import orjson

from streams import topics
from streams.agents.context import Context
from streams.core import evaluate
from streams.core.event_ids import CONFLICT
from streams.core.results import IssueRow
from streams.tables import Entry, GapKey


def _iso(day: int | None) -> str | None:
    return None if day is None else date.fromordinal(day).isoformat()


def publish(ctx: Context, key: bytes, entry: Entry, as_of: date, stamp_ms: int) -> bool:
    """Send the client's rows as of `as_of`; True when published gaps or handoffs changed
    (so the caller knows the entry must be written back)."""
    result = evaluate(entry.state, as_of, ctx.rules)
    if entry.conflicts:  # SPEC.md 1.4: each losing content of the client's is an issue
        result.issues = sorted(result.issues + [
            IssueRow(event_id, result.client_id, CONFLICT) for event_id, _d in entry.conflicts])
    owner = ctx.partition_of(key)
    ctx.send(owner, topics.CLIENT_RESULTS, key, topics.result_message(result, as_of, stamp_ms))
    gaps: dict[GapKey, int | None] = {
        (g.gap_type, g.subject_id, g.started_on.toordinal()):
            None if g.ended_on is None else g.ended_on.toordinal() for g in result.gaps}
    changed = False
    for gk, ended in gaps.items():
        before = entry.gaps.get(gk, "new")
        if before == ended:
            continue  # an open gap that only grew longer is not news
        if before == "new":
            change = "opened" if ended is None else "closed"
        else:
            change = "closed" if before is None else "changed"
        _send_gap(ctx, owner, key, change, gk, ended, as_of)
        changed = True
    for gk in entry.gaps.keys() - gaps.keys():  # a correction removed it
        _send_gap(ctx, owner, key, "withdrawn", gk, entry.gaps[gk], as_of)
        changed = True
    entry.gaps = gaps
    # keyed "handoff/contract": a contract can go through several handoffs (SPEC.md 4.1)
    handoffs = {f"{h.handoff}/{h.contract_id}": h.status for h in result.handoffs}
    for hk, status in handoffs.items() | {
            (c, "withdrawn") for c in entry.handoffs.keys() - handoffs.keys()}:
        if entry.handoffs.get(hk) != status:
            handoff, contract = hk.split("/", 1)
            ctx.send(owner, topics.HANDOFF_CHANGES, key, orjson.dumps({
                "handoff": handoff, "contract_id": contract, "status": status,
                "previous": entry.handoffs.get(hk), "as_of": as_of.isoformat()}))
            changed = True
    entry.handoffs = handoffs
    return changed


def _send_gap(ctx: Context, owner: int, key: bytes, change: str, gk: GapKey,
              ended: int | None, as_of: date) -> None:
    gap_type, subject, started = gk
    ctx.send(owner, topics.GAP_CHANGES, key, orjson.dumps({
        "change": change, "gap_type": gap_type, "subject_id": subject,
        "started_on": _iso(started), "ended_on": _iso(ended), "as_of": as_of.isoformat()}))
