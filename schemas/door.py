"""The door: every path into jatkumo (file, Kafka, HTTP) turns one raw JSON text into either a
validated, pseudonymised event or a dead letter. Identity codes do not get past this module.

The verdict on a line, in this order (the first that applies):
1. an identity code anywhere but the top-level `client_hetu` (in any string, key or value, glued
   to other text, written with JSON escapes, or typed with spaces inside or O for 0):
   `identity_code_in_FIELD`;
2. a key given twice in one object (at any depth): `duplicate key: NAME`. The model would read
   the last one and DuckDB the first: the line would mean two things;
3. the model's own verdict (SPEC.md 1.1-1.4).

Both extra checks need the parsed JSON, which costs as much as the validation again, so one
byte-level look at the raw line (`needs_look`) decides whether a line can hold either at all;
only such lines (codes, escapes, spacing before a colon, more key tokens than fields) pay for
the closer look (`closer_look`). Every driver calls `admit`/`admitted` or, in the replay's hot
loop, exactly the same steps (services/loader.py), so they all give the same verdict. Replay,
publish and the worker first offer each line to the fast path (streams/core/plain.py), which
takes only lines this door takes, with the same values."""

import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from schemas.events import EVENT_ADAPTER, Event
from schemas.hetu import (
    has_code,
    mask_codes,
    mask_cut_head,
    mask_typed,
    pseudonymise,
    seen_as_written,
    seen_forms,
    too_short,
)
from schemas.types import readable

NO_KEY_REASON = (
    "client_hetu: refused: JATKUMO_PSEUDONYM_KEY is not set, so identity codes cannot be "
    "pseudonymised; set it (the same key on every jatkumo process) and send the event again"
)
UNREADABLE = "event: not JSON that every reader reads alike"
BOM = b"\xef\xbb\xbf"
# The longest event text taken. A valid event is small (every string field holds at most 100
# characters), so a longer line is padding or some other file; and Kafka refuses a message
# over 1 MiB: a line publish sent as written stopped the whole publish ("Kafka refused 1
# messages", attack 2026-12-05), and a dead letter keeping a longer text could not be sent
# either. Every path judges this first (admit, admitted, replay's loader, the fast path), so
# replay, publish, ingest and the workers give such a line one verdict.
MAX_LINE_BYTES = 64 * 1024

# Lines that need the closer look: an identity code's shape (six digits, a century sign, three
# digits), any backslash (a JSON escape can hide a code's character or a key's letter), or more
# `":` than the event has fields (a key given twice). Plain bytes operations in C (a regular
# expression cost as much as the validation): one translation maps digits to 0, century signs
# to s and a backslash to B, keeps `"` and `:`, and drops JSON's whitespace (so a key spaced
# from its colon is counted too; dropping can only add matches, never hide one). A byte of a
# non-ASCII character is a B too: a code a reader sees can hide behind one (a zero-width space
# inside it, full-width digits, a Unicode hyphen; a review found them taken as valid).
# The byte pre-scan's classes: a century sign in either case is "s" (schemas.hetu._READABLE),
# and the letter O in either case is a digit, 0: a code typed with O for zero or with spaces
# inside (schemas.hetu._TYPED, `O5O395 - 912K`) has the shape too, its spaces dropped as
# whitespace (a no-break space's bytes are B's).
# A control byte is a B as well (JSON's own whitespace is dropped before the mapping): a raw
# DEL, which JSON allows in a string, showed nothing inside a code and hid it from the scan
# (attack, 2026-12-05: `200<DEL>306A980F` taken as an event, the code stored).
_SHAPE = bytes(ord("0") if c in b"0123456789OoIl" else ord("s") if c in b"-+ABCDEFUVWXYabcdefuvwxy"
               else ord("B") if c in b"\\%&" or c >= 0x7f or c < 0x20
               else ord("d") if c in b"./" else c if c in b'":' else ord(".")
               for c in range(256))
_WHITESPACE = b" \t\r\n"
# A code typed with a date's dots or slashes (schemas.hetu._DOTTED: 05.03.95-912K, and with
# the day and month unpadded, schemas.hetu._DATED: 5.3.95-912K): a shape of its own, a mark
# being a "d" (dropped like a blank, a dot sent every dotted id to the slow path, ten times
# slower: review, 2026-12-05), the year after the second mark
_DATE_SHAPE = b"d00s000"
_CODE_SHAPE = b"000000s000"
# A code written as people write dates and numbers (schemas.hetu._DATED: `5. 3. 95-912K`,
# `05-03-95-912K`, `131052 308T`, `13.10.1952-308T`) has no shape of its own to the scan: a
# dash or a letter is a sign to it, as a UUID's hex letters are, and blanks are dropped. So
# the closer look also takes a line with seven digits (or O, I, l: the fewest a code has)
# with at most three other characters between any two and no quote, once its UUIDs and ISO
# dates and times are taken out (every line has those). The fast path judges its free-text
# fields one by one instead (streams.core.plain).
# Between two digits the door reads any number of marks and blanks (`131052 ;  308T`,
# `050395 - - - - 912K`, a client id `131052____308T`), and a sign's letter among them: so
# "three other characters" counts a run of marks and blanks as one (an atomic group: a run
# is never split, so a line is scanned once). Three characters each had let those codes
# through the door (a review, 2026-12-07).
# (the letter of a gap is any but the digits' look-alikes O, o, I and l: taken as a letter,
# one of them was never counted as a digit, and `13Io523o8T` passed: a fuzz, 2026-12-07)
_SEVEN = re.compile(rb'[0-9OoIl](?:(?>(?:[^0-9OoIlA-Za-z"]++|[A-HJ-NP-Za-km-np-z]){0,3})'
                    rb'[0-9OoIl]){6}')
# ... taken out only as whole values, between quotes: `"010203 ; 9002-01-01"` lost its date
# and with it the code's last digits (the same review)
_USUAL_RUNS = re.compile(rb'(?<=")(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                         rb"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9]{4}-[0-9]{2}-[0-9]{2}"
                         rb"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
                         rb'(?:[Zz]|[-+][0-9]{2}:?[0-9]{2})?)?)(?=")')
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    raw: str  # the original text with identity codes masked
    reason: str  # names the field that failed
    origin: str  # file:line, or topic/partition/offset


def _reason(error: ValidationError) -> str:
    parts: list[str] = []
    for e in error.errors(include_url=False, include_input=False):
        loc = [str(x) for x in e["loc"]]
        if e["type"] in ("union_tag_not_found", "union_tag_invalid"):
            loc = ["event_type"]
            msg = "missing" if e["type"] == "union_tag_not_found" else "unknown event type"
        else:
            loc = loc[1:]  # the first element is the union tag (the event type)
            msg = e["msg"]
            if loc and loc[-1] in ("client_hetu",):
                msg = "invalid identity code"
        parts.append(f"{'.'.join(loc) or 'event'}: {msg}")
    return "; ".join(parts)


# The adapter's core validator, called directly by loops over millions of lines (the wrapper
# only passes its default options on). It raises ValidationError; see `refused` and `admit`.
validate_json: Callable[[str | bytes], Event] = EVENT_ADAPTER.validator.validate_json


def line_bytes(raw: str | bytes) -> bytes:
    """The text the door judges: bytes, without the line end (a file's lines keep theirs, a
    Kafka message has none: both must get one verdict)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    return raw.rstrip(b"\r\n")


def key_count(event: Event) -> int:
    """How many keys the event's JSON had: the fields it set (extra keys are refused)."""
    pl: Any = event.payload
    fields = pl.__pydantic_fields_set__  # model_fields_set, without the property's call
    n = len(event.__pydantic_fields_set__) + len(fields)
    if "producer" in fields and pl.producer is not None:  # no getattr default: it is slow
        n += len(pl.producer.__pydantic_fields_set__)
    return n


def needs_look(line: bytes, event: Event) -> bool:
    """Whether a line the model accepted could hold an identity code or a duplicate key. Sound:
    without a backslash every `"` delimits a string, so each key ends in `"`, whitespace, `:`;
    without the whitespace, counting `":` gives at least the number of key tokens, and that
    count equal to the fields taken (extra keys are refused) means no key came twice."""
    shape = line.translate(_SHAPE, _WHITESPACE)
    return (b"B" in shape or _CODE_SHAPE in shape or _DATE_SHAPE in shape
            or shape.count(b'":') != key_count(event)
            or _SEVEN.search(_USUAL_RUNS.sub(b"", line)) is not None)


def closer_look(line: bytes) -> str | None:
    """The reason a line is refused before the model is asked (identity code, duplicate key),
    UNREADABLE if Python's JSON parser cannot read it, or None."""
    dups: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for k, v in items:
            if k in obj:
                dups.append(k)
            obj[k] = v
        return obj

    try:
        doc = json.loads(line, object_pairs_hook=pairs)
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError
        return UNREADABLE
    field = code_field(doc)
    if field is not None:
        return f"identity_code_in_{field}"
    if dups:
        return f"duplicate key: {dups[0]}"
    return None


def _words() -> frozenset[str]:
    """Every field name and every choice (a Literal's strings) of the event models."""
    words: set[str] = set()
    todo: list[Any] = [Event]
    seen: set[type] = set()
    while todo:
        t = todo.pop()
        if isinstance(t, type) and issubclass(t, BaseModel):
            if t not in seen:
                seen.add(t)
                for name, f in t.model_fields.items():
                    words.add(name)
                    todo.append(f.annotation)
        elif get_origin(t) is Literal:
            words.update(a for a in get_args(t) if isinstance(a, str))
        else:
            todo.extend(get_args(t))  # a union, Annotated, Optional: what they hold
    return frozenset(words)


# The model's own words (keys such as `contract_id`, values such as `contract.signed`): no code
# is in one (tests/unit/test_codes_spaced.py), and a line the closer look reads is mostly
# these, so they skip the code search (it cost about a fifth of the closer look).
_WORDS = _words()


def code_field(doc: Any) -> str | None:
    """The dotted path of the first string (key or value) holding a valid identity code, except
    the top-level `client_hetu` (the door pseudonymises that one) and a UUID-form `event_id`
    (random hex: one in about 60,000 holds a valid-looking code by chance, and it is not a
    place where a code can be told; refusing those would lose valid events). Iterative: a deeply
    nested line must not exhaust the stack."""
    todo: deque[tuple[tuple[str, ...], Any]] = deque([((), doc)])
    while todo:
        path, value = todo.popleft()
        if isinstance(value, str):
            if value not in _WORDS and seen_code(value):
                return ".".join(path) or "event"
        elif isinstance(value, dict):
            for k, v in value.items():
                if k not in _WORDS and seen_code(k):
                    return ".".join((*path, mask_codes(k)))
                if not path and (k == "client_hetu" or (
                        k == "event_id" and isinstance(v, str) and UUID.fullmatch(v))):
                    continue
                todo.append(((*path, k), v))
        elif isinstance(value, list):
            todo.extend(((*path, str(i)), v) for i, v in enumerate(value))
    return None


def seen_code(text: str) -> bool:
    """Whether `text` holds a valid identity code as written, or as a reader sees it
    (schemas.hetu.visible: what shows nothing dropped, full-width and other digits and
    dashes read as ASCII, a right-to-left override's text the right way round). Looked at
    as seen unless the text is seen as written: an ASCII control (NUL, DEL, ESC...) inside a
    code was not looked through, being ASCII (attack, 2026-12-05: `070205<NUL>A934J` taken,
    stored, and shown as a clean code on the SQL page, the browser dropping the NUL). So is
    text with a backslash: escapes written out as text are read (schemas.hetu.seen_forms)."""
    return has_code(text) or ((not seen_as_written(text) or "\\" in text or "%" in text
                                or "&" in text) and not too_short(text)
                               and any(map(has_code, seen_forms(text))))


def admit(raw: str | bytes, origin: str, key: bytes | None) -> Event | DeadLetter:
    """Validate one raw event text; pseudonymise its identity code if it carries one."""
    line = line_bytes(raw)
    if len(line) > MAX_LINE_BYTES:
        return oversized(line, origin)
    try:
        event = validate_json(line)
    except ValidationError as error:
        return refused(line, error, origin)
    if needs_look(line, event):
        reason = closer_look(line)
        if reason is not None:
            return dead_letter(line, reason, origin)
    if event.client_hetu is None:
        return event
    return pseudonymised(event, line, origin, key)


def admitted(raw: str | bytes, key: bytes | None) -> Event | None:
    """`admit` for a reader that leaves dead letters to another (the sink: the worker writes
    them): the valid, pseudonymised event, or None where `admit` gives a dead letter. No
    origin is formatted and no reason is put together for what is thrown away anyway."""
    line = line_bytes(raw)
    if len(line) > MAX_LINE_BYTES:
        return None
    try:
        event = validate_json(line)
    except ValidationError:
        return None
    if needs_look(line, event) and closer_look(line) is not None:
        return None
    if event.client_hetu is None:
        return event
    got = pseudonymised(event, line, "", key)
    return None if isinstance(got, DeadLetter) else got


def refused(raw: str | bytes, error: ValidationError, origin: str) -> DeadLetter:
    """The dead letter of a line the model refused: an identity code or a duplicate key found
    by the closer look is the reason, else the model's. A line no parser reads is the model's
    case (`closer_look` is UNREADABLE there too)."""
    line = line_bytes(raw)
    reason = closer_look(line)
    if reason is None or reason == UNREADABLE:
        reason = _reason(error)
    return dead_letter(line, reason, origin)


def pseudonymised(event: Event, raw: str | bytes, origin: str,
                  key: bytes | None) -> Event | DeadLetter:
    """A valid event that carries an identity code, with the code replaced by its pseudonym."""
    assert event.client_hetu is not None
    if key is None:
        return dead_letter(raw, NO_KEY_REASON, origin)
    client = pseudonymise(event.client_hetu, key)
    return event.model_copy(update={"client_id": client, "client_hetu": None})


def dead_letter(raw: str | bytes, reason: str, origin: str) -> DeadLetter:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")  # a str from Python may hold a surrogate
    text = raw.decode("utf-8", errors="replace")
    # The reason quotes what it refused (a key such as "\u001b]0;TITLE\u0007") and the
    # origin names a file (any bytes, `ev\xff.jsonl`): both are made valid, visible text
    # (schemas.types.readable; a file name that was not UTF-8 crashed the replay in Arrow).
    # The raw text stays as it came, but valid UTF-8. Codes are masked in all three: a file or
    # a token may be named after a person (`050395-912K.jsonl`).
    # (the masking reads escapes: whatever it hands back is made valid UTF-8 once more, so no
    # line a sender writes can stop a writer; a `\ud800` beside a code did: a review)
    raw_text = mask_cut_head(mask_seen(text.rstrip("\r\n"))).encode(
        "utf-8", "replace").decode("utf-8")
    if reason.startswith("identity_code_in_") and seen_code(raw_text):
        raw_text = without_digits(raw_text)
    return DeadLetter(raw=raw_text, reason=mask_codes(readable(reason)),
                      origin=origin_text(origin))


_DIGIT_LIKE = re.compile(r"[0-9OoIl]")


def mask_seen(text: str) -> str:
    """mask_codes, and where a code is still read as written (the masking and the door read
    runs of hex digits apart: `...0809-03050101131a9853`, a fuzz, 2026-12-07), without_digits:
    for a dead letter whatever its reason, and a value an analyst's answer holds. (Read as
    written only: every reading would cost a long dead letter its time again.)"""
    masked = mask_codes(text)
    return without_digits(masked) if has_code(masked) else masked


def without_digits(text: str) -> str:
    """The last resort for a line refused for a code that the masking left readable (the
    masking and the door read runs of hex digits apart: `...0809-03050101131a9853`, a fuzz,
    2026-12-07): every digit, and then every look-alike of one, written `*`."""
    text = "".join("*" if c.isdigit() else c for c in text)
    return _DIGIT_LIKE.sub("*", text) if seen_code(text) else text


# What a dead letter of a line over MAX_LINE_BYTES keeps of it. The whole line was masked and
# then cut, and masking reads every character many ways: a 1 MB line cost 16.5 s of a core,
# a 10 MB ingest request minutes, every other source waiting (a review, 2026-12-07).
KEPT_OF_OVERSIZED = 4096
_STRUCTURE = tuple(b'"{}[]')


def oversized(line: bytes, origin: str) -> DeadLetter:
    """The dead letter of a line longer than MAX_LINE_BYTES: its first KEPT_OF_OVERSIZED
    bytes, cut back to the last quote, brace or bracket among them (the JSON string the cut
    fell in, where a code may lie across the cut, is left out whole: a code spread over any
    number of blanks, or written in escapes, has no head to tell by its end), masked as the
    dashboard masks typed text (a code without its check character is masked too), and the
    head of a code at its end masked (a line with none of those marks)."""
    head = line[:KEPT_OF_OVERSIZED]
    at = max(head.rfind(bytes([c])) for c in _STRUCTURE)
    if at >= 0:
        head = head[:at + 1]
    # a character the cut split is left out (its U+FFFD after a code's head hid the head
    # from mask_cut_head: a review, 2026-12-07); other bytes that are not UTF-8 read as U+FFFD
    while head and head[-1] & 0xC0 == 0x80:
        head = head[:-1]
    if head and head[-1] >= 0xC0:
        head = head[:-1]
    letter = dead_letter(head, f"event: {len(line):,} bytes, more than an event may hold "
                         f"({MAX_LINE_BYTES:,}); its masked text is kept up to "
                         f"{KEPT_OF_OVERSIZED:,} bytes", origin)
    return DeadLetter(raw=mask_cut_head(mask_typed(letter.raw)), reason=letter.reason,
                      origin=letter.origin)


def origin_text(origin: str) -> str:
    """An origin (a file's name and line, a token's name) as a dead letter holds it: valid,
    visible text, identity codes masked."""
    return mask_codes(readable(origin))
