"""The simulator's identifiers: UUIDs as the brief fixes them, synthetic identity codes only."""

import random
import uuid

from schemas.hetu import hetu_problem
from services.simulate.ids import business_id, event_uuid, synthetic_hetu


def test_event_ids_are_the_uuid4_of_the_seeded_rng() -> None:
    ours, theirs = random.Random(5), random.Random(5)
    for _ in range(2_000):
        assert event_uuid(ours) == str(uuid.UUID(int=theirs.getrandbits(128), version=4))


def test_identity_codes_are_valid_and_use_only_temporary_numbers() -> None:
    rng = random.Random(1)
    for year in (1994, 1999, 2000, 2008):
        for _ in range(500):
            code = synthetic_hetu(rng, year)
            assert hetu_problem(code) is None, code
            assert 900 <= int(code[7:10]) <= 999
            assert code[6] == ("A" if year >= 2000 else "-")
            assert code[4:6] == f"{year % 100:02d}"


def test_business_ids_have_a_valid_check_digit() -> None:
    rng = random.Random(2)
    for _ in range(500):
        digits, check = business_id(rng).split("-")
        r = sum(int(d) * w for d, w in zip(digits, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
        assert r != 1
        assert int(check) == (0 if r == 0 else 11 - r)
