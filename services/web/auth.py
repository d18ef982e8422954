"""Sign-in: users with roles and password hashes from a TOML or JSON file (JATKUMO_USERS), and
server-side sessions keyed by a random cookie, so nothing about the user travels in URLs.

The users file:

    [users.maija]
    role = "manager"            # manager, caseworker, analyst or admin
    password = "scrypt$16384$8$1$<salt hex>$<hash hex>"   # jatkumo serve --hash-password
    areas = ["Oulu"]            # optional scope: internal areas ...
    municipalities = ["564"]    # ... and/or municipality codes; neither: the whole area

Managers see counts only; caseworkers also per-gap rows, single alerts and timelines; analysts
also SQL; admins also the access log. Every role sees only its scope (services/scope.py).
"""

import hashlib
import hmac
import json
import secrets
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass

from schemas.errors import ConfigError
from services.config import read_small, refuse_code
from services.scope import WHOLE, Scope, parse

ROLES = ("manager", "caseworker", "analyst", "admin")
# What each role may open; managers see only aggregates (suppressed) and alerts as counts;
# caseworkers act on single gaps and alerts (of their scope), but write no SQL.
PERMISSIONS: dict[str, frozenset[str]] = {
    "manager": frozenset({"overview", "map", "gaps", "alerts"}),
    "caseworker": frozenset({"overview", "map", "gaps", "gap_rows", "alerts", "timeline"}),
    "analyst": frozenset({"overview", "map", "gaps", "gap_rows", "alerts", "timeline", "sql"}),
    "admin": frozenset({"overview", "map", "gaps", "gap_rows", "alerts", "timeline", "sql",
                        "access_log"}),
}
SESSION_SECONDS = 8 * 3600  # a working day, however busy: then sign in again
# A session no request has used for an hour ends: a dashboard left open on a shared or
# unlocked computer (a meeting room's, a case worker's at lunch) served its rows to whoever
# sat down, for the rest of the eight hours. Each request slides it on.
IDLE_SECONDS = 3600


def hash_password(password: str, n: int = 2**14, r: int = 8, p: int = 1) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def dummy_hash(users: dict[str, "User"]) -> str:
    """A hash with the same cost as the users' own (the first one's parameters), of a password
    nobody knows: an unknown name is checked against it, so it answers in the same time."""
    params = next(iter(users.values())).password_hash.split("$") if users else []
    try:
        n, r, p = (int(x) for x in params[1:4])
    except ValueError:
        n, r, p = 2**14, 8, 1
    return hash_password(secrets.token_urlsafe(16), n, r, p)


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(digest) // 2)
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str
    scope: Scope = WHOLE


_USERS_HELP = ("write [users.NAME] tables with role, password and optionally areas or "
               "municipalities, as docs/web.md shows")


def load_users(path: str | None) -> dict[str, User]:
    if not path:
        raise ConfigError("no users: set JATKUMO_USERS to a TOML or JSON users file "
                          "(make a hash with 'jatkumo serve --hash-password')")
    raw = read_small(path, f"the users file {path}")
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if path.endswith(".json") else tomllib.loads(text)
    except ValueError as e:
        raise ConfigError(f"cannot read the users file {path}: {e}") from None
    except RecursionError:  # both parsers recurse into nested arrays and tables
        raise ConfigError(f"the users file {path} nests too deeply: not a users file; "
                          f"{_USERS_HELP}") from None
    listed = data.get("users") if isinstance(data, dict) else None
    if not isinstance(listed, dict):  # a list, a number: a traceback (attack, 2026-12-05)
        raise ConfigError(f"the users file {path} must hold a table users; {_USERS_HELP}")
    users: dict[str, User] = {}
    for name, entry in listed.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"user {name!r} in {path} must be a table; {_USERS_HELP}")
        refuse_code(name, f"the user name {name!r} in {path}")
        role, pw = entry.get("role"), entry.get("password")
        if role not in ROLES or not isinstance(pw, str):
            raise ConfigError(f"user {name!r} in {path} needs role (one of {', '.join(ROLES)}) "
                              "and password (a hash from 'jatkumo serve --hash-password')")
        users[name] = User(name, role, pw, parse(name, entry, path))
    if not users:
        raise ConfigError(f"{path} lists no [users.NAME] entries")
    return users


class Throttle:
    """Failed sign-ins per key (a user name, known or not; or an address). From the `free`-th
    failure on, each failure locks the key for base * 2**k seconds (k = 0, 1, …; at most
    `cap`); while a key is locked even the right password is refused, answered 429 without
    being checked. A key is forgotten `forget` seconds after its last failure, and a success
    clears it. Keys are hashed: a password typed in the name box is not kept, not even here."""

    MAX_KEYS = 100_000  # some 20 MB; a flood of names would otherwise push a victim's out

    def __init__(self, free: int, base: float = 30.0, cap: float = 900.0,
                 forget: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.base, self.cap, self.forget, self.clock = free, base, cap, forget, clock
        self._keys: dict[str, tuple[int, float, float]] = {}  # failures, locked until, last

    @staticmethod
    def key(value: str) -> str:
        return hashlib.sha256(value.encode()).hexdigest()[:32]

    def wait(self, value: str) -> float:
        """Seconds until `value` may try again (0: now)."""
        now = self.clock()
        return max(0.0, self._get(self.key(value), now)[1] - now)

    def failed(self, value: str) -> None:
        now, k = self.clock(), self.key(value)
        failures = self._get(k, now)[0] + 1
        over = failures - self.free
        until = now + min(self.cap, self.base * 2 ** over) if over >= 0 else 0.0
        self._keys.pop(k, None)
        self._keys[k] = (failures, until, now)  # newest last
        while len(self._keys) > self.MAX_KEYS:  # a flood of names: the oldest go first
            self._keys.pop(next(iter(self._keys)))

    def succeeded(self, value: str) -> None:
        self._keys.pop(self.key(value), None)

    def _get(self, k: str, now: float) -> tuple[int, float, float]:
        got = self._keys.get(k)
        if got is None or (now - got[2] > self.forget and now >= got[1]):
            return (0, 0.0, now)
        return got


@dataclass
class Session:
    user: str
    role: str
    csrf: str
    expires: float
    scope: Scope = WHOLE
    idle_until: float = float("inf")

    def over(self, now: float) -> bool:
        return now > self.expires or now > self.idle_until


class Sessions:
    """In memory: a restart signs everyone out, which is the safe direction. Expired sessions
    go at the next sign-in or when their cookie comes back, and a user keeps at most
    PER_USER (the newest): a script signing in again and again grew the table for ever."""

    PER_USER = 20

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._by_token: dict[str, Session] = {}  # oldest first
        self.clock = clock

    def start(self, user: User) -> str:
        now = self.clock()
        mine = []
        for t, s in list(self._by_token.items()):
            if s.over(now):
                del self._by_token[t]
            elif s.user == user.name:
                mine.append(t)
        for t in mine[:max(0, len(mine) - self.PER_USER + 1)]:
            del self._by_token[t]
        token = secrets.token_urlsafe(32)
        self._by_token[token] = Session(user.name, user.role, secrets.token_urlsafe(16),
                                        now + SESSION_SECONDS, user.scope,
                                        now + IDLE_SECONDS)
        return token

    def get(self, token: str | None) -> Session | None:
        """The session of `token`, its idle time begun again; None when there is none or it
        is over (and then it is gone)."""
        s = self._by_token.get(token or "")
        if s is None:
            return None
        now = self.clock()
        if s.over(now):
            del self._by_token[token or ""]
            return None
        s.idle_until = now + IDLE_SECONDS
        return s

    def __len__(self) -> int:
        return len(self._by_token)

    def end(self, token: str | None) -> None:
        self._by_token.pop(token or "", None)
