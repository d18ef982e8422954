"""The sign-in throttle's back-off, on a clock the test moves (services/web/auth.Throttle), and
which redirect targets count as this site's own paths (services/web/app.local_path)."""

import pytest

from services.web.app import local_path
from services.web.auth import Throttle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lock_starts_at_the_fifth_failure_and_doubles_up_to_the_cap() -> None:
    clock = Clock()
    t = Throttle(free=5, base=30.0, cap=900.0, clock=clock)
    waits = []
    for _ in range(12):
        t.failed("antti")
        waits.append(t.wait("antti"))
        clock.now += waits[-1]  # the attacker waits out each lock exactly
    assert waits == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]
    assert t.wait("someone-else") == 0


def test_success_clears_and_an_hour_of_quiet_forgets() -> None:
    clock = Clock()
    t = Throttle(free=2, base=10.0, forget=3600.0, clock=clock)
    for _ in range(3):
        t.failed("a")
        t.failed("b")
    t.succeeded("a")
    assert t.wait("a") == 0 and t.wait("b") > 0
    clock.now += 3601
    t.failed("b")
    assert t.wait("b") == 0  # counted afresh: one failure


def test_names_are_not_kept_in_clear() -> None:
    t = Throttle(free=5)
    t.failed("a password typed as a name")
    assert "a password typed as a name" not in repr(t.__dict__)


@pytest.mark.parametrize(("target", "path"), [
    ("/gaps?gap_type=X", "/gaps?gap_type=X"), ("/alerts/abc", "/alerts/abc"),
    ("//evil", "/"), ("/\\evil", "/"), ("http://evil//evil/x", "/"), ("evil", "/"),
    ("/\t/evil", "/"), ("/\n/evil", "/"), ("", "/"), (None, "/"), ("javascript:x", "/"),
])
def test_only_paths_of_this_site_are_redirect_targets(target: str | None, path: str) -> None:
    assert local_path(target) == path


def test_sessions_expire_and_go_and_a_user_keeps_the_newest_twenty() -> None:
    from services.scope import WHOLE
    from services.web.auth import SESSION_SECONDS, Sessions, User

    clock = Clock()
    s = Sessions(clock=clock)
    anna = User("anna", "manager", "x", WHOLE)
    bo = User("bo", "manager", "x", WHOLE)
    first = s.start(anna)
    theirs = s.start(bo)
    got = s.get(first)
    assert got is not None and got.user == "anna"
    # a script signing in again and again: the newest PER_USER stay, the rest are gone
    tokens = [s.start(anna) for _ in range(100)]
    assert len(s) == Sessions.PER_USER + 1
    assert s.get(first) is None and all(s.get(t) is None for t in tokens[:-Sessions.PER_USER])
    assert all(s.get(t) is not None for t in tokens[-Sessions.PER_USER:])
    assert s.get(theirs) is not None  # another user's session is not touched
    # an expired session is refused and gone when its cookie comes back, or at the next sign-in
    clock.now += SESSION_SECONDS + 1
    assert s.get(tokens[-1]) is None
    assert len(s) == Sessions.PER_USER + 1 - 1
    s.start(bo)
    assert len(s) == 1 and s.get(theirs) is None


def test_a_session_unused_for_an_hour_ends_and_use_slides_it_up_to_eight_hours() -> None:
    """Sessions lasted eight hours whatever happened: one left open on an unlocked computer
    served its pages to whoever sat down, all day."""
    from services.scope import WHOLE
    from services.web.auth import IDLE_SECONDS, SESSION_SECONDS, Sessions, User

    clock = Clock()
    s = Sessions(clock=clock)
    anna = User("anna", "manager", "x", WHOLE)
    idle, busy = s.start(anna), s.start(anna)
    clock.now += IDLE_SECONDS - 1
    assert s.get(busy) is not None  # used: its hour begins again
    clock.now += 2
    assert s.get(idle) is None and s.get(idle) is None  # unused for an hour: over, and gone
    assert len(s) == 1
    # used every 59 minutes, a session lasts until its eighth hour, not beyond
    started = clock.now - IDLE_SECONDS - 1
    while clock.now + IDLE_SECONDS - 60 < started + SESSION_SECONDS:
        clock.now += IDLE_SECONDS - 60
        assert s.get(busy) is not None
    clock.now = started + SESSION_SECONDS + 1
    assert s.get(busy) is None
    # a sign-in drops the sessions that are over, idle ones included
    left = s.start(anna)
    clock.now += IDLE_SECONDS + 1
    s.start(anna)
    assert len(s) == 1 and s.get(left) is None
