"""The door's fast path: the usual event line, judged without pydantic. Compiled with the core
(mypyc), since a replay runs it once per line.

Most lines are plain: no escapes, no identity code, every value in its usual form. `plain(line)`
takes such a line with one orjson parse and a check of every field against the same constraints
as the models (schemas/events.py, payloads.py, types.py), and returns its values already
converted: dates as ordinals, `occurred_at` as UTC microseconds, the payload as a dict with
every field (absent optional ones None), for `streams.core.state.add_plain`.

It only ever says "valid" or "ask the door": None for anything it is not sure of (an escape, a
code-shaped text, a key given twice, a field in an unusual form, a value out of range,
`client_hetu`, a line orjson does not read). The caller then runs the whole door
(schemas.door), so every line refused gets exactly the door's verdict and reason. A line taken
here is one the door takes with the same values: tests/unit/test_plain.py holds it to that over
generated, mutated and hand-written lines, on both cores."""

from datetime import date
from typing import Any, Final

import orjson

from schemas import door, events, hetu, types
from schemas.reference import municipalities

# (event_id, event_type, occurred_at in UTC µs, source, client_id, payload)
Plain = tuple[str, str, int, str, str, dict[str, Any]]

# Every module-level name is Final: mypyc then keeps it in a C static instead of looking it up
# in the module's dict at every use (a fifth of this module's time went to those lookups).
_EPOCH: Final = date(1970, 1, 1).toordinal()
_FIRST: Final = types.FIRST_DAY.toordinal()
_LAST: Final = types.LAST_DAY.toordinal()
_EARLIEST: Final = events._EARLIEST
_LATEST: Final = events._LATEST
_seen_code: Final = door.seen_code
_digit_like: Final = hetu.digit_like
_MAX_LINE: Final = door.MAX_LINE_BYTES
_check_organizer: Final = types._check_organizer
_loads: Final = orjson.loads
_dumps: Final = orjson.dumps
_hetu_problem: Final = hetu.hetu_problem
_pseudonymise: Final = hetu.pseudonymise
_JSONDecodeError: Final = orjson.JSONDecodeError
# The codes never change (a settings file only regroups them into areas).
_MUNICIPALITIES: Final = frozenset(municipalities())
_HEX_DASH_BYTES: Final = b"0123456789abcdefABCDEF-"
_CLIENT_CHARS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-"
_KINDS: Final = frozenset(("municipal", "third_sector", "wellbeing_area", "company"))
_SERVICES: Final = frozenset(("KTT", "SOSKU", "NUPA"))
_REFERRED_BY: Final = frozenset(("te_office", "social_work", "outreach_youth_work", "ohjaamo",
                                 "education", "self", "other"))
_SUSPENSION: Final = frozenset(("illness", "leave", "other"))
_END: Final = frozenset(("education", "employment", "moved_away", "completed", "interrupted",
                         "other"))
_TARGETS: Final = frozenset(("mental_health", "substance_abuse", "education", "employment",
                             "health", "other"))
_OUTCOMES: Final = frozenset(("declined", "cancelled", "not_needed"))
_HETU: Final = b'"client_hetu":"'
_AS_ID: Final = b'"client_id":"'
_CACHE: Final = 200_000  # entries in each cache of parsed texts, then it starts again
_SCALE: Final = [0, 100_000, 10_000, 1_000, 100, 10, 1]  # a fraction's n digits to micros

# Caches of texts already judged: a file has a few thousand organisers and ids that repeat.
_organizers: Final[set[str]] = set()
_plain_ids: Final[set[str]] = set()


def _months() -> tuple[list[int], list[int]]:
    """For each month from FIRST_DAY's year to LAST_DAY's (index (year - _YEAR0) * 13 + month):
    the ordinal of the day before its first, and its length."""
    before, length = [], []
    for year in range(_YEAR0, types.LAST_DAY.year + 1):
        before.append(0)
        length.append(0)  # month 0: no such month
        for month in range(1, 13):
            first = date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
            before.append(first.toordinal() - 1)
            length.append(following.toordinal() - first.toordinal())
    return before, length


_YEAR0: Final = types.FIRST_DAY.year
_YEARS: Final = types.LAST_DAY.year - _YEAR0 + 1
# Final lists (a Final tuple of literals is built again at each use in compiled code, and a
# name that is not Final is looked up in the module's dictionary).
_MONTHS: Final = _months()
_BEFORE_MONTH: Final = _MONTHS[0]
_MONTH_DAYS: Final = _MONTHS[1]


def _day_at(s: str, at: int) -> int:
    """The ordinal of the ISO day `YYYY-MM-DD` at `at` in `s`, in FIRST_DAY..LAST_DAY, else -1.
    Arithmetic on the characters and a table of months, as date(y, m, d).toordinal() gives
    it: a dictionary of the texts seen before cost a hash of each new string and a look-up
    that missed the cache, and a slice for each timestamp's day (2026-12-07)."""
    if at + 10 > len(s) or s[at + 4] != "-" or s[at + 7] != "-":
        return -1
    high, low = _two(s, at), _two(s, at + 2)
    month, day = _two(s, at + 5), _two(s, at + 8)
    year = high * 100 + low - _YEAR0
    if high < 0 or low < 0 or not 1 <= month <= 12 or not 0 <= year < _YEARS:
        return -1
    i = year * 13 + month
    if not 1 <= day <= _MONTH_DAYS[i]:
        return -1
    got = _BEFORE_MONTH[i] + day
    return got if _FIRST <= got <= _LAST else -1


def _day(v: object) -> int:
    """The ordinal of a plain ISO day in 1900-2100, else -1."""
    if not isinstance(v, str) or len(v) != 10:
        return -1
    return _day_at(v, 0)


def _ident(v: object) -> bool:
    return isinstance(v, str) and 1 <= len(v) <= 100 and _no_code(v)


def _no_code(v: str) -> bool:
    """Whether a free-text value (an id, a client id, an organiser) holds no identity code as
    the door reads it (schemas.door.seen_code): codes written as people write dates and
    numbers (`5. 3. 95-912K`, `131052 308T`, `13.10.1952-308T`) have no shape the byte scan
    can tell from an event id's hex (a dash or a letter is a sign to it, and a blank is
    dropped). Each text is judged once (ids repeat: a contract's, a worker's, a source's),
    and only one with seven digits or more (the fewest a code has: `5.3.95-912K`); one that
    holds a code goes to the door. A hunt (2026-12-06) found an organiser's
    `wellbeing_area:5-3-95-912K` taken by this path while the door refused it."""
    if v in _plain_ids:
        return True
    if _digit_like(v) >= 7 and _seen_code(v):
        return False
    if len(_plain_ids) >= _CACHE:
        _plain_ids.clear()
    _plain_ids.add(v)
    return True


def _municipality(v: object) -> bool:
    return isinstance(v, str) and v in _MUNICIPALITIES


def _organizer(v: object) -> bool:
    if not isinstance(v, str):
        return False
    if v in _organizers:
        return True
    try:
        _check_organizer(v)
    except ValueError:
        return False
    if not _no_code(v):
        return False
    if len(_organizers) >= _CACHE:
        _organizers.clear()
    _organizers.add(v)
    return True


def _one_of(v: object, allowed: frozenset[str]) -> bool:
    return isinstance(v, str) and v in allowed


def _int_in(v: object, low: int, high: int) -> bool:
    # strict: an int, not a bool (orjson gives exact types; a float is not taken either)
    return isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _optional_int(pl: dict[str, Any], out: dict[str, Any], name: str, high: int) -> bool:
    v = pl.get(name)
    out[name] = v
    return v is None or _int_in(v, 1, high)


def _optional_day(pl: dict[str, Any], out: dict[str, Any], name: str) -> bool:
    v = pl.get(name)
    if v is None:
        out[name] = None
        return True
    day = _day(v)
    out[name] = day
    return day >= 0


def _producer(v: object) -> dict[str, Any] | None:
    if not isinstance(v, dict) or len(v) != 3:
        return None
    pid, kind, muni = v.get("id"), v.get("kind"), v.get("municipality")
    if not (_ident(pid) and _one_of(kind, _KINDS) and _municipality(muni)):
        return None
    return {"id": pid, "kind": kind, "municipality": muni}


def _keys(pl: dict[str, Any], *names: str) -> bool:
    """Every key of the payload is one of the model's fields."""
    n = 0
    for name in names:
        if name in pl:
            n += 1
    return n == len(pl)


def _payload(etype: str, pl: dict[str, Any]) -> dict[str, Any] | None:
    """The checked, converted payload of a type (schemas/payloads.py), else None."""
    out: dict[str, Any]
    if etype == "attendance.recorded":
        if len(pl) != 3:
            return None
        cid, day, present = pl.get("contract_id"), _day(pl.get("date")), pl.get("present")
        if not _ident(cid) or day < 0 or not (present is True or present is False):
            return None
        return {"contract_id": cid, "date": day, "present": present}
    if etype == "contract.signed":
        cid, service, org = pl.get("contract_id"), pl.get("service"), pl.get("organizer")
        producer, start = _producer(pl.get("producer")), _day(pl.get("start_date"))
        if (not _ident(cid) or not _one_of(service, _SERVICES) or not _organizer(org)
                or producer is None or start < 0):
            return None
        out = {"contract_id": cid, "service": service, "organizer": org, "producer": producer,
               "start_date": start}
        if not (_optional_day(pl, out, "planned_end_date")
                and _optional_int(pl, out, "days_per_week", 5)
                and _optional_int(pl, out, "hours_per_day", 8)
                and _keys(pl, "contract_id", "service", "organizer", "producer", "start_date",
                          "planned_end_date", "days_per_week", "hours_per_day")):
            return None
        return out
    if etype == "contract.amended":
        cid, amended = pl.get("contract_id"), _day(pl.get("amended_on"))
        if not _ident(cid) or amended < 0:
            return None
        out = {"contract_id": cid, "amended_on": amended, "producer": None}
        raw_producer = pl.get("producer")
        if raw_producer is not None:
            out["producer"] = _producer(raw_producer)
            if out["producer"] is None:
                return None
        if not (_optional_day(pl, out, "planned_end_date")
                and _optional_int(pl, out, "days_per_week", 5)
                and _optional_int(pl, out, "hours_per_day", 8)
                and _keys(pl, "contract_id", "amended_on", "planned_end_date", "days_per_week",
                          "hours_per_day", "producer")):
            return None
        if (out["planned_end_date"] is None and out["days_per_week"] is None
                and out["hours_per_day"] is None and out["producer"] is None):
            return None  # the model's "an amendment must set at least one of ..."
        return out
    if etype == "contract.suspended":
        return _dated(pl, "contract_id", "from_date", "reason", _SUSPENSION)
    if etype == "contract.resumed":
        return _dated(pl, "contract_id", "on_date", "", _SUSPENSION)
    if etype == "contract.ended":
        return _dated(pl, "contract_id", "end_date", "reason", _END)
    if etype == "responsibility.transferred":
        if len(pl) != 4:
            return None
        cid, was, now = pl.get("contract_id"), pl.get("from_organizer"), pl.get("to_organizer")
        day = _day(pl.get("effective_date"))
        if not _ident(cid) or not _organizer(was) or not _organizer(now) or day < 0:
            return None
        return {"contract_id": cid, "from_organizer": was, "to_organizer": now,
                "effective_date": day}
    if etype == "worker.assigned" or etype == "worker.unassigned":
        if len(pl) != 3:
            return None
        worker, org, day = pl.get("worker_id"), pl.get("organization"), _day(pl.get("on_date"))
        if not _ident(worker) or not _organizer(org) or day < 0:
            return None
        return {"worker_id": worker, "organization": org, "on_date": day}
    if etype == "referral.made":
        return _dated(pl, "referral_id", "made_on", "target", _TARGETS)
    if etype == "referral.started":
        return _dated(pl, "referral_id", "started_on", "", _TARGETS)
    if etype == "referral.closed":
        return _dated(pl, "referral_id", "closed_on", "outcome", _OUTCOMES)
    if etype == "client.registered":
        if len(pl) != 4:
            return None
        year, muni, by = pl.get("birth_year"), pl.get("home_municipality"), pl.get("referred_by")
        day = _day(pl.get("registered_on"))
        if (not _int_in(year, 1900, 2100) or not _municipality(muni)
                or not _one_of(by, _REFERRED_BY) or day < 0):
            return None
        return {"birth_year": year, "home_municipality": muni, "referred_by": by,
                "registered_on": day}
    return None


def _dated(pl: dict[str, Any], ident: str, day_field: str, choice: str,
           allowed: frozenset[str]) -> dict[str, Any] | None:
    """A payload of an id, a day and (unless `choice` is empty) one of `allowed`."""
    if len(pl) != (3 if choice else 2):
        return None
    key, day = pl.get(ident), _day(pl.get(day_field))
    if not _ident(key) or day < 0:
        return None
    if not choice:
        return {ident: key, day_field: day}
    value = pl.get(choice)
    if not _one_of(value, allowed):
        return None
    return {ident: key, day_field: day, choice: value}


def _two(s: str, at: int) -> int:
    """Two ASCII digits at `at` as a number, else -1 (also when `s` ends before them).
    Character codes, not a slice and int(): this runs five times for each timestamp."""
    if at + 2 > len(s):
        return -1
    a, b = ord(s[at]) - 48, ord(s[at + 1]) - 48
    return a * 10 + b if 0 <= a <= 9 and 0 <= b <= 9 else -1


def _parse_stamp(v: str) -> int:
    """UTC microseconds of `YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|±HH:MM)` in the model's range,
    computed as the door does: round(timestamp() * 1e6), where timestamp() is the exact
    microseconds divided by a million (CPython's datetime), else -1.

    In floats, with no slice: compiled, an int past 2**30 times a million took mypyc's slow
    path of boxed ints, and round() and a slice each a call into Python (0.5 µs a timestamp
    before, 2026-12-07). The floats are exact where it matters: |microseconds| < 2**52 over
    the model's years, so `whole * 1e6 + fraction` is the exact integer, and its division by
    1e6 is correctly rounded as CPython's int / int is. The product back, `micros`, is within
    0.49 of that integer (half an ulp of the seconds, ≤ 2**-22 s, plus half an ulp of the
    product, ≤ 0.25), so never at a half: rounding it half up is round()."""
    n = len(v)
    if n < 20 or v[10] != "T" or v[13] != ":" or v[16] != ":":
        return -1
    day = _day_at(v, 0)
    hour, minute, second = _two(v, 11), _two(v, 14), _two(v, 17)
    if day < 0 or not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        return -1
    at, fraction = 19, 0
    if v[at] == ".":
        end = at + 1
        while end < n and end - at <= 7:
            digit = ord(v[end]) - 48
            if not 0 <= digit <= 9:
                break
            fraction = fraction * 10 + digit
            end += 1
        digits = end - at - 1
        if not 1 <= digits <= 6:
            return -1
        fraction *= _SCALE[digits]
        at = end
    offset = 0
    if at >= n:
        return -1
    if n - at != 1 or v[at] != "Z":
        sign = v[at]
        if n - at != 6 or (sign != "+" and sign != "-") or v[at + 3] != ":":
            return -1
        oh, om = _two(v, at + 1), _two(v, at + 4)
        if not (0 <= oh <= 23 and 0 <= om <= 59):
            return -1
        offset = (oh * 3600 + om * 60) * (-1 if sign == "-" else 1)
    whole = (day - _EPOCH) * 86400 + hour * 3600 + minute * 60 + second - offset
    seconds = (whole * 1e6 + fraction) / 1e6
    if not _EARLIEST <= seconds < _LATEST:
        return -1
    micros = seconds * 1e6
    return int(micros + 0.5) if micros >= 0 else -int(0.5 - micros)


def _micros(v: object) -> int | None:
    if not isinstance(v, str):
        return None
    got = _parse_stamp(v)
    return None if got == -1 else got


def _uuid(v: str) -> bool:
    """The EventId pattern: 8-4-4-4-12 hex digits (deleting the allowed bytes leaves none:
    str.strip with a set of 23 characters took 0.4 µs of every line, bytes.translate 0.1)."""
    return (len(v) == 36 and v[8] == "-" and v[13] == "-" and v[18] == "-" and v[23] == "-"
            and v.count("-") == 4 and v.isascii()
            and not v.encode().translate(None, _HEX_DASH_BYTES))


def _client(v: str) -> bool:
    """The ClientId pattern: 1-64 of A-Z a-z 0-9 _ . : -"""
    return 1 <= len(v) <= 64 and not v.strip(_CLIENT_CHARS) and _no_code(v)


def _strings(d: dict[str, Any]) -> int:
    """How many of a checked object's values are strings."""
    n = 0
    for v in d.values():
        if isinstance(v, str):
            n += 1
    return n


def plain(line: bytes) -> Plain | None:
    """The values of a plain valid line, or None: then only the door can tell (see above)."""
    got = plain_and_doc(line)
    return None if got is None else got[0]


def plain_and_doc(line: bytes) -> tuple[Plain, dict[str, Any]] | None:
    """`plain`, and the line's parsed JSON object as orjson read it (the caller's to keep or
    change), for a caller that needs the event's canonical text too: the worker's client
    stage parsed each line a second time for it."""
    if len(line) > _MAX_LINE:  # the door's dead letter (schemas.door.oversized)
        return None
    try:
        doc = _loads(line)
    except _JSONDecodeError:
        return None
    # Seven keys: the envelope without client_hetu (the door pseudonymises that one). Seven
    # keys of which these seven hold a value are exactly the envelope's (a null sends the
    # line to the door, which refuses it anyway).
    if not isinstance(doc, dict) or len(doc) != 7:
        return None
    event_id, etype, source, client = (doc.get("event_id"), doc.get("event_type"),
                                       doc.get("source"), doc.get("client_id"))
    version, raw, stamp = doc.get("schema_version"), doc.get("payload"), doc.get("occurred_at")
    if (not isinstance(event_id, str) or not _uuid(event_id) or not _int_in(version, 1, 1)
            or not isinstance(client, str) or not _client(client)
            or not isinstance(source, str) or not _ident(source)
            or not isinstance(etype, str) or not isinstance(raw, dict)):
        return None
    payload = _payload(etype, raw)
    if payload is None:
        return None
    micros = _micros(stamp)
    if micros is None:
        return None
    # What the door's byte pre-scan (schemas.door.needs_look) is for, decided here from the
    # parse. The door looks closer at a line to find a code in any of its strings
    # (schemas.door.code_field) or a key given twice; such a line is refused, any other taken.
    # Every string this path took is either one of the model's own words, a UUID event id (the
    # door skips one), a checked date or timestamp (no code: tests/conformance/
    # test_door_fast_path.py, test_no_timestamp_the_fast_path_reads_holds_a_code_to_the_door),
    # or a free text that `_no_code` judged with the door's own seen_code. So the closer look
    # would find no code, whether the door's scan asked for one or not, and only two things
    # are left to tell: an escape or a non-ASCII byte (a code's character or a key's letter
    # hidden from the parse; the door's, as before), and a key given twice. Without a
    # backslash every `"` delimits a string, so the quotes count the strings; orjson keeps a
    # key's last value, so a key given twice shows as quotes the parsed object does not
    # account for. The shape scans of the whole line (a translation and three searches of
    # repetitive patterns) cost about 2.5 µs of every line: this function on 300,000 lines of
    # the national file took 6.7 µs a line with them, 4.0-4.6 without (2026-12-07).
    if not line.isascii() or line.find(b"\\") >= 0:
        return None
    strings = 7 + len(raw) + 5 + _strings(raw)  # the keys, then the strings of the values
    producer = raw.get("producer")
    if isinstance(producer, dict):
        strings += len(producer) + _strings(producer)
    if line.count(b'"') != 2 * strings:
        return None
    return (event_id.lower(), etype, micros, source, client, payload), doc


def coded(line: bytes, key: bytes) -> tuple[Plain, bytes] | None:
    """A usual line that names its client by a valid identity code, judged without pydantic:
    its values (the client the pseudonym) and the text the door passes on
    (streams.core.event_ids.passed_on), or None: then only the door can tell. A national
    replay's door spent two thirds of its time on these lines, 3 % of them.

    The line with its one `"client_hetu":"CODE"` swapped for `"client_id":"PSEUDONYM"` must be
    one the fast path takes. Then the door takes the line as written too, and passes it on as
    that swapped event: both texts tokenise alike outside the swapped pair (no backslash
    anywhere, four quotes in each pair), so the pair is the envelope's client and the only
    difference; the fast path found no code anywhere else, no key twice, and every
    other field valid; and the code is valid (the model's own check, hetu_problem)."""
    i = line.find(_HETU)
    if i < 0:
        return None
    start = i + len(_HETU)
    end = line.find(b'"', start)
    if end < 0 or line.find(_HETU, end) >= 0:
        return None
    try:
        code = line[start:end].decode("ascii")
    except UnicodeDecodeError:
        return None
    if _hetu_problem(code) is not None:
        return None
    client = _pseudonymise(code, key)
    got = plain_and_doc(line[:i] + _AS_ID + client.encode() + line[end:])
    if got is None:
        return None
    values, doc = got
    # the door's object (event_ids.door_object): the original's keys in order without the
    # code's, then the pseudonym; the swapped parse holds the same keys and values
    del doc["client_id"]
    doc["client_id"] = client
    return values, _dumps(doc)
