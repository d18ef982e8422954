"""The per-line loop of loading (services/loader.py), compiled with the core (mypyc): a replay
runs its body once per event, and as interpreted Python the loop itself (the tuple unpacking,
the lookups of states and ids, the seven column appends) cost as much as the door's fast path.

Pure: no I/O. The door's slow path, dead letters and the Arrow batches stay in services/loader.py
and come in as callables: `door(n, line)` judges a line the fast path (streams/core/plain.py)
did not take and returns its event and the line to keep (re-serialised when it carried an
identity code), or None when the line was blank or a dead letter (counted by the caller);
`flush()` emits the buffered columns, called whenever `batch` events are buffered."""

from collections.abc import Callable, Iterable
from typing import Final

from schemas.events import Event
from streams.core.plain import coded, plain
from streams.core.state import ClientState, add_fact, add_plain

Door = Callable[[int, bytes], "tuple[Event, bytes] | None"]

_PAYLOAD: Final = b'"payload":{'


def payload_text(line: bytes) -> bytes | None:
    """The payload's JSON text in a line the fast path took, cut out as DuckDB's json_extract
    would write it, or None: then the writer cuts it (analytics.store.Store.insert_events).
    Cutting it here spares the writer, which shares the cores with the loaders, a parse of
    every line, and leaves a third of the bytes to hand it.

    The fast path took only printable ASCII without a backslash, a key given once each, seven
    keys of which only the payload holds an object. So `"payload":{` is found once, at the
    payload's key; a line ending in `}}` ends with the payload's object; and text with no
    blank between its tokens is what json_extract writes (it keeps the order of keys, strings
    and integers as they are): a blank anywhere in it is left to the writer."""
    if not line.endswith(b"}}"):
        return None
    at = line.find(_PAYLOAD)
    if at < 0:
        return None
    text = line[at + len(_PAYLOAD) - 1:-1]  # from the payload's `{` to its `}`
    return None if text.find(b" ") >= 0 else text


class Columns:
    """The buffered columns of valid events (analytics.columns.event_lines), cleared in place
    by whoever flushes them. A row has its payload's text in `payloads` (payload_text) or its
    whole line in `lines`, and None in the other."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.types: list[str] = []
        self.times: list[int] = []
        self.days: list[int] = []
        self.sources: list[str] = []
        self.clients: list[str] = []
        self.lines: list[bytes | None] = []
        self.payloads: list[bytes | None] = []

    def all(self) -> tuple[list[str], list[str], list[int], list[int], list[str], list[str],
                           list[bytes | None], list[bytes | None]]:
        return (self.ids, self.types, self.times, self.days, self.sources, self.clients,
                self.lines, self.payloads)

    def clear(self) -> None:
        self.ids.clear()
        self.types.clear()
        self.times.clear()
        self.days.clear()
        self.sources.clear()
        self.clients.clear()
        self.lines.clear()
        self.payloads.clear()


class Tally:
    """What the loop counted: lines read, duplicates, lines waiting for the id stage, and the
    latest effective day (an ordinal, 0 for none)."""

    def __init__(self) -> None:
        self.read = 0
        self.duplicates = 0
        self.pending = 0
        self.latest = 0


def load_lines(lines: Iterable[tuple[int, bytes]], states: dict[str, ClientState],
               seen: dict[str, int], conflicted: set[str], cols: Columns, door: Door,
               flush: Callable[[], None], batch: int, fast: bool = True,
               key: bytes | None = None) -> Tally:
    """Every numbered line into `states` (the loop of services.loader.load, which documents
    the steps). `seen` maps an event id to the hash of the line that brought it. `fast=False`
    sends every line to `door` (a test holds the two ways to the same result). With the
    pseudonym `key`, a line that names its client by an identity code is offered to the fast
    path too (streams.core.plain.coded)."""
    tally = Tally()
    ids, types, times, days, sources, clients, raws, payloads = (
        cols.ids, cols.types, cols.times, cols.days, cols.sources, cols.clients, cols.lines,
        cols.payloads)
    latest = 0
    read = 0
    for n, line in lines:
        read += 1
        got = plain(line) if fast else None
        cut = None if got is None else payload_text(line)
        event: Event | None = None
        text = hash(line)  # of the line as sent: a duplicate is the same text again
        if got is None and fast and key is not None:  # (coded looks for the code's key first)
            swapped = coded(line, key)
            if swapped is not None:
                got, line = swapped
        if got is not None:
            event_id, etype, micros, source, client, pl = got
        else:
            judged = door(n, line)
            if judged is None:
                continue
            event, line = judged
            event_id, etype, source = event.event_id, event.event_type, event.source
            client_id = event.client_id
            assert client_id is not None  # the door gives every event taken its client
            client = client_id
            # A float timestamp of today's dates carries ~0.2 µs of error: rounding is exact.
            micros = round(event.occurred_at.timestamp() * 1_000_000)
            pl = {}
        known = len(seen)
        first = seen.setdefault(event_id, text)  # one lookup in a table of a million ids
        if len(seen) == known:
            if first == text:  # the same line again: a duplicate (SPEC.md 1.4)
                tally.duplicates += 1
            else:  # other text under the id: decided after loading, over every partition
                tally.pending += 1
                conflicted.add(event_id)
            continue
        state = states.get(client)
        if state is None:
            state = ClientState(client)
            states[client] = state
        rank = (micros, event_id)
        day = add_plain(state, etype, pl, rank) if event is None else add_fact(state, event,
                                                                                rank)
        ids.append(event_id)
        types.append(etype)
        times.append(micros)
        days.append(day)
        sources.append(source)
        clients.append(client)
        raws.append(None if cut is not None else line)
        payloads.append(cut)
        if day > latest:
            latest = day
        if len(raws) >= batch:
            flush()
    tally.read = read
    tally.latest = latest
    return tally
