"""Writes a client's lines to the JSONL file, with the noise real feeds have: now and then a
malformed copy of a line (a dead letter for jatkumo) or a second delivery of an event (ignored
by its id). Noise only adds lines, so nothing valid is ever lost to it."""

import math
import random
import re
from collections.abc import Callable
from typing import Any, TextIO

_DATE = re.compile(r'"(\d{4})-\d{2}-\d{2}"')


def _truncated(text: str) -> str:
    return text[: len(text) // 2]  # a write cut short: not JSON at all


def _wrong_version(text: str) -> str:
    return text.replace('"schema_version":1', '"schema_version":2', 1)


def _impossible_date(text: str) -> str:
    return _DATE.sub(r'"\1-02-30"', text, count=1)


def _unknown_type(text: str) -> str:
    return text.replace('"event_type":"', '"event_type":"legacy.', 1)


MANGLERS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("truncated", _truncated), ("schema_version", _wrong_version),
    ("impossible_date", _impossible_date), ("unknown_event_type", _unknown_type),
)


class Countdown:
    """Draws how many lines pass before the next noisy one (geometric), instead of a random
    number for each of tens of millions of lines."""

    def __init__(self, rng: random.Random, rate: float) -> None:
        self.rng, self.rate = rng, rate
        self.left = self._draw()

    def _draw(self) -> int:
        if self.rate <= 0:
            return -1
        if self.rate >= 1:
            return 0
        return int(math.log(1.0 - self.rng.random()) / math.log(1.0 - self.rate))

    def hits(self, n: int) -> list[int]:
        """Which of the next n lines are noisy (indexes, ascending)."""
        if self.left < 0:
            return []
        out: list[int] = []
        pos = self.left
        while pos < n:
            out.append(pos)
            pos += 1 + self._draw()
        self.left = pos - n
        return out


class Writer:
    def __init__(self, out: TextIO, rng: random.Random, malformed: float,
                 duplicate: float) -> None:
        self.out, self.rng = out, rng
        self.bad = Countdown(rng, malformed)
        self.twice = Countdown(rng, duplicate)
        self.lines = 0
        self.malformed = 0
        self.duplicates = 0
        self.noise: list[dict[str, Any]] = []  # truth rows of this client's noise

    def write(self, lines: list[tuple[int, str]]) -> None:
        texts = [text for _, text in lines]
        bad = self.bad.hits(len(texts))
        again = [texts[i] for i in self.twice.hits(len(texts))]
        self.noise = []
        if bad:
            buf: list[str] = []
            start = 0
            for i in bad:
                buf += texts[start:i + 1]
                name, mangle = MANGLERS[self.rng.randrange(len(MANGLERS))]
                buf.append(mangle(texts[i]))
                self.noise.append({"kind": "malformed_line", "line": self.lines + len(buf),
                                   "how": name})
                start = i + 1
            buf += texts[start:]
            texts = buf
        for text in again:  # the second delivery arrives after the client's other events
            texts.append(text)
            self.noise.append({"kind": "duplicate_delivery", "line": self.lines + len(texts),
                               "event_id": text[13:49]})
        self.malformed += len(bad)
        self.duplicates += len(again)
        self.lines += len(texts)
        texts.append("")
        self.out.write("\n".join(texts))
