"""Identifiers drawn from the seeded RNG: event UUIDs, synthetic identity codes, business ids.

Everything here is synthetic: identity codes use individual numbers 900-999 only (SPEC.md 1.2)."""

import random

from schemas.hetu import CHECK_CHARS

_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_BITS = (0x4000 << 64) | (0x8000 << 48)


def event_uuid(rng: random.Random) -> str:
    """str(uuid.UUID(int=rng.getrandbits(128), version=4)), without building a UUID object:
    the simulator makes tens of millions of these."""
    h = "%032x" % ((rng.getrandbits(128) & _VERSION_MASK) | _VERSION_BITS)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def synthetic_hetu(rng: random.Random, birth_year: int) -> str:
    """A valid identity code born in `birth_year` with a temporary number (900-999)."""
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    number = rng.randint(900, 999)
    yy = birth_year % 100
    sign = "A" if birth_year >= 2000 else "-"
    digits = f"{day:02d}{month:02d}{yy:02d}{number:03d}"
    return f"{digits[:6]}{sign}{number:03d}{CHECK_CHARS[int(digits) % 31]}"


def business_id(rng: random.Random) -> str:
    """A Finnish business id (Y-tunnus) NNNNNNN-C with a valid check digit."""
    while True:
        digits = [rng.randint(0, 9) for _ in range(7)]
        r = sum(d * w for d, w in zip(digits, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
        if r != 1:  # remainder 1 has no valid check digit
            return "".join(map(str, digits)) + "-" + str(0 if r == 0 else 11 - r)
