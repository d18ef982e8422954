"""Sign-in: users with roles and password hashes from a TOML or JSON file (JATKUMO_USERS), and
server-side sessions keyed by a random cookie, so nothing about the user travels in URLs.

The users file:

    [users.maija]
    role = "manager"            # manager, analyst or admin
    password = "scrypt$16384$8$1$<salt hex>$<hash hex>"   # jatkumo serve --hash-password
"""

import hashlib
import hmac
import json
import secrets
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import ConfigError

ROLES = ("manager", "analyst", "admin")
# What each role may open; managers see only aggregates (suppressed) and alerts.
PERMISSIONS: dict[str, frozenset[str]] = {
    "manager": frozenset({"overview", "map", "gaps", "alerts"}),
    "analyst": frozenset({"overview", "map", "gaps", "gap_rows", "alerts", "timeline", "sql"}),
    "admin": frozenset({"overview", "map", "gaps", "gap_rows", "alerts", "timeline", "sql",
                        "access_log"}),
}
SESSION_SECONDS = 8 * 3600


def hash_password(password: str, n: int = 2**14, r: int = 8, p: int = 1) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


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


def load_users(path: str | None) -> dict[str, User]:
    if not path:
        raise ConfigError("no users: set JATKUMO_USERS to a TOML or JSON users file "
                          "(make a hash with 'jatkumo serve --hash-password')")
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if path.endswith(".json") else tomllib.loads(text)
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read the users file {path}: {e}") from None
    users: dict[str, User] = {}
    for name, entry in (data.get("users") or {}).items():
        role, pw = entry.get("role"), entry.get("password")
        if role not in ROLES or not isinstance(pw, str):
            raise ConfigError(f"user {name!r} in {path} needs role (one of {', '.join(ROLES)}) "
                              "and password (a hash from 'jatkumo serve --hash-password')")
        users[name] = User(name, role, pw)
    if not users:
        raise ConfigError(f"{path} lists no [users.NAME] entries")
    return users


@dataclass
class Session:
    user: str
    role: str
    csrf: str
    expires: float


class Sessions:
    """In memory: a restart signs everyone out, which is the safe direction."""

    def __init__(self) -> None:
        self._by_token: dict[str, Session] = {}

    def start(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        self._by_token[token] = Session(user.name, user.role, secrets.token_urlsafe(16),
                                        time.monotonic() + SESSION_SECONDS)
        return token

    def get(self, token: str | None) -> Session | None:
        s = self._by_token.get(token or "")
        if s is None or s.expires < time.monotonic():
            return None
        return s

    def end(self, token: str | None) -> None:
        self._by_token.pop(token or "", None)
