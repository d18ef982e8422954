"""The bearer tokens of the source systems: one per system, bound to its `source`, stored
hashed. A token is 256 random bits, so one SHA-256 is as safe as a slow password hash and
keeps every request cheap; the clear token is shown once, at `jatkumo token add`."""

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from schemas.errors import ConfigError, UsageError
from services.config import read_small

PREFIX = "jtk_"
NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@dataclass(frozen=True)
class Token:
    name: str
    source: str  # the `source` every event sent with it must carry
    sha256: str
    created: str
    revoked: str | None = None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class TokenStore:
    """A JSON file (mode 0600) the CLI writes and the server reads again when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._by_hash: dict[str, Token] = {}

    def all(self) -> list[Token]:
        if not self.path.exists():
            return []
        help_text = "restore it or remove it and add the tokens again"
        try:
            # as a settings file is read: bounded, and never a FIFO (/dev/zero as --tokens
            # filled the memory, a FIFO hung `token list`: a hunt, 2026-12-06)
            data = read_small(str(self.path), f"the token file {self.path}",
                              help_text=help_text)
        except ConfigError as e:
            raise UsageError(str(e)) from None
        try:
            doc = json.loads(data.decode("utf-8"))
            return [Token(**t) for t in doc["tokens"]]
        except (ValueError, KeyError, TypeError, RecursionError) as e:
            raise UsageError(f"the token file {self.path} cannot be read ({e}); "
                             f"{help_text}") from None

    def _save(self, tokens: list[Token]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        # A new file of its own, never one found there: a symbolic link left in its place made
        # the save write the tokens through it into another file (attack, 2026-12-04).
        try:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()  # a leftover of a save that died, or a planted link (not its target)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except OSError as e:  # also a folder in the path that is a file (a traceback before)
            raise UsageError(f"cannot write the token file beside {self.path} ({e})") from None
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"tokens": [asdict(t) for t in tokens]}, f, indent=1)
        os.replace(tmp, self.path)

    def add(self, name: str, source: str) -> str:
        if not NAME.fullmatch(name):
            raise UsageError("a token's name is 1-64 of A-Z a-z 0-9 _ . : -")
        if not 1 <= len(source) <= 100:
            raise UsageError("--source must be 1-100 characters (SPEC.md 1.1)")
        tokens = self.all()
        if any(t.name == name and t.revoked is None for t in tokens):
            raise UsageError(f"a token named {name!r} exists; revoke it first or pick a name")
        token = PREFIX + secrets.token_urlsafe(32)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self._save([*tokens, Token(name, source, digest(token), now)])
        return token

    def revoke(self, name: str) -> None:
        tokens = self.all()
        if not any(t.name == name and t.revoked is None for t in tokens):
            raise UsageError(f"no active token named {name!r}; see 'jatkumo token list'")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self._save([Token(t.name, t.source, t.sha256, t.created, now)
                    if t.name == name and t.revoked is None else t for t in tokens])

    def verify(self, presented: str) -> Token | None:
        """The active token presented, or None. Read again whenever the file changed."""
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            return None
        if stamp != self._stamp:
            self._by_hash = {t.sha256: t for t in self.all() if t.revoked is None}
            self._stamp = stamp
        h = digest(presented)
        found = self._by_hash.get(h)
        return found if found is not None and hmac.compare_digest(found.sha256, h) else None
