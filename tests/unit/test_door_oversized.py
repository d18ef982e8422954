"""A line longer than an event may be (schemas.door.MAX_LINE_BYTES) is a dead letter on every
path, and the dead letter keeps at most the line's first KEPT_OF_OVERSIZED bytes, masked, so
that it fits a Kafka message itself and masking it costs little. Before, `publish` sent such a
line as written and Kafka refused it: the whole publish stopped (attack, 2026-12-05)."""

import json
from pathlib import Path

from schemas.door import KEPT_OF_OVERSIZED, MAX_LINE_BYTES, DeadLetter, admit, admitted
from schemas.hetu import MASK, has_code, visible
from services.publish import door_lines
from streams.core.plain import plain
from tests.helpers import KEY, replay_db, signed


def _padded(size: int) -> bytes:
    """A valid event written with blanks before its closing brace, `size` bytes long."""
    line = json.dumps(signed("k1", "2023-01-02")).encode()
    return line[:-1] + b" " * (size - len(line)) + b"}"


def test_a_line_of_the_largest_size_is_taken_and_one_byte_more_is_a_dead_letter() -> None:
    assert not isinstance(admit(_padded(MAX_LINE_BYTES), "f:1", KEY), DeadLetter)
    assert admitted(_padded(MAX_LINE_BYTES), KEY) is not None
    over = _padded(MAX_LINE_BYTES + 1)
    dead = admit(over, "f:1", KEY)
    assert isinstance(dead, DeadLetter)
    assert dead.reason == (f"event: {MAX_LINE_BYTES + 1:,} bytes, more than an event may hold "
                           f"({MAX_LINE_BYTES:,}); its masked text is kept up to "
                           f"{KEPT_OF_OVERSIZED:,} bytes")
    # up to its last brace within the part kept: the event, not its padding
    assert over.startswith(dead.raw.encode()) and dead.raw.endswith("}") and len(dead.raw) > 100
    assert dead.origin == "f:1"
    assert admitted(over, KEY) is None
    assert plain(over) is None  # the fast path leaves it to the door


def test_the_kept_part_holds_no_code_however_the_line_was_cut() -> None:
    # a code across the cut: its head would be readable in a text cut before it was masked
    pad = b" " * MAX_LINE_BYTES
    for at in range(KEPT_OF_OVERSIZED - 11, KEPT_OF_OVERSIZED + 1):
        for head in (b'{"note": "' + b"a" * (at - 10), b"a" * at, b"a " * (at // 2)):
            for code in (b"131052-308T", b"13.10.52-308T", b"13 10 52 - 308T"):
                line = head + code + b'"}' + pad
                dead = admit(line, "f:1", KEY)
                assert isinstance(dead, DeadLetter)
                # (the mask may be longer than the head of a code it covers)
                assert len(dead.raw.encode()) <= KEPT_OF_OVERSIZED + len(MASK)
                # a date alone may stay (the cut fell after it: no code's part is kept)
                assert not any(part in dead.raw for part in (
                    "052-3", "052-", "13.10.52-", "52 - ", "308")), (at, head[:12], code,
                                                                   dead.raw[-30:])


def test_a_long_line_costs_little_to_refuse() -> None:
    """A 1 MB line was masked whole before it was cut: 16.5 s of a core for its dead letter
    (a review, 2026-12-07). Its dead letter now reads only the part it keeps. (Counted in
    calls, not timed: the masking's readings run once per kept byte at most.)"""
    import random

    rnd = random.Random(2)
    junk = "".join(rnd.choice("0123456789abcdefOIl -.,:;_/+") for _ in range(30000))
    line = ('{"x": "' + junk * 40 + ' 131052-308T"}').encode()
    dead = admit(line, "f:1", KEY)
    assert isinstance(dead, DeadLetter) and len(dead.raw.encode()) <= KEPT_OF_OVERSIZED
    assert dead.raw == '{"x": "', dead.raw[:60]  # the string the cut fell in is left out
    bare = b"x" * (KEPT_OF_OVERSIZED - 9) + b"131052-30" + b"8T" + b"y" * MAX_LINE_BYTES
    dead = admit(bare, "f:1", KEY)
    assert isinstance(dead, DeadLetter) and dead.raw.endswith(MASK), dead.raw[-30:]
    # codes written as escapes mask to far fewer characters: the text after them must not
    # move inside the part kept (a cut first, masked then, kept the code at its end readable)
    escaped = b"".join(b"\\u%04x" % c for c in b"131052-308T")
    line = b'{"note": "' + escaped * 2000 + b'"} ' + b"x" * 10 + b" 050395-912K"
    dead = admit(line, "f:1", KEY)
    assert isinstance(dead, DeadLetter)
    assert not has_code(dead.raw) and not has_code(visible(dead.raw))
    assert "912K" not in dead.raw and len(dead.raw.encode()) <= KEPT_OF_OVERSIZED


def test_replay_and_publish_give_one_verdict_on_long_lines(tmp_path: Path) -> None:
    """Replay's loader (fast path, then its own copy of the door's steps) and publish's
    door: the long event a dead letter, a long blank line a blank line, the rest taken."""
    lines = [json.dumps(signed("k2", "2023-01-03")), _padded(MAX_LINE_BYTES + 5).decode(),
             " " * (MAX_LINE_BYTES + 5)]
    rel = replay_db(tmp_path, lines)
    assert len(rel["events"]) == 1
    assert [r[1].split(";")[0] for r in rel["dead_letters"]] == [
        f"event: {MAX_LINE_BYTES + 5:,} bytes, more than an event may hold ({MAX_LINE_BYTES:,})"]
    sent: list[bytes] = []
    dead: list[bytes] = []
    report = door_lines(list(enumerate((x.encode() for x in lines), 1)), "f", KEY,
                        lambda _k, values: sent.extend(values),
                        lambda value, _h: dead.append(value))
    assert (len(sent), len(dead), report.blank) == (1, 1, 1)
    assert 100 < len(dead[0]) <= KEPT_OF_OVERSIZED


def test_a_line_of_the_largest_size_with_a_second_cr_is_taken_by_replay_and_publish_alike(
        tmp_path: Path) -> None:
    """A review found replay's loader measuring the line with a second CR (the reader keeps
    it), where every other path measures it without: refused by replay only."""
    line = _padded(MAX_LINE_BYTES) + b"\r\r"
    rel = replay_db(tmp_path, [line.decode()])
    assert len(rel["events"]) == 1 and not rel["dead_letters"]
    sent: list[bytes] = []
    door_lines([(1, line)], "f", KEY, lambda _k, values: sent.extend(values),
               lambda value, _h: None)
    assert len(sent) == 1


def test_a_character_the_cut_splits_leaves_no_head_of_a_code_readable() -> None:
    """The cut at KEPT_OF_OVERSIZED split a character after a code's head, its U+FFFD hid
    the head from the masking (`131052-30` and a Cyrillic Ze for the 8: a review,
    2026-12-07)."""
    line = b"a" * (KEPT_OF_OVERSIZED - 10) + "131052-30\u0417M".encode() + b"y" * MAX_LINE_BYTES
    assert line[:KEPT_OF_OVERSIZED].endswith(b"131052-30\xd0")  # the cut splits the Ze
    dead = admit(line, "f:1", KEY)
    assert isinstance(dead, DeadLetter) and dead.raw.endswith(MASK), dead.raw[-30:]
