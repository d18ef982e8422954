"""A `jatkumo serve` of its own for the attack tests (tight SQL limits, many analysts), so the
attacks neither wait on nor disturb the browser tests' server."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.web.auth import hash_password
from tests.e2e.web.conftest import free_port, serving

PASSWORD = "hyökkäys-2026-salasana"
ANALYSTS = [f"a{i}" for i in range(1, 9)]
USERS = {"maija": "manager", "antti": "analyst", "root": "admin",
         **dict.fromkeys(ANALYSTS, "analyst")}
LIMITS = {"JATKUMO_SQL_ROW_LIMIT": "50", "JATKUMO_SQL_TIMEOUT_SECONDS": "3",
          "JATKUMO_SQL_MEMORY_LIMIT": "256MB", "JATKUMO_SQL_PER_USER": "1",
          "JATKUMO_SQL_PROCESSES": "2"}


# What an answer says when a query was stopped at a limit: the time limit (3 s here), or the
# process's memory or CPU cap, whichever a busy machine reaches first. Said, not timed: a
# bound on the seconds an answer took failed on a loaded machine, and the page's words tell a
# cut query from one that ran to its end (53 s and 4 GiB for the string bomb, before).
STOPPED = ("pysäytettiin 3 sekunnin", "enemmän muistia tai suoritinaikaa",
           "tarvitsee enemmän muistia kuin analyytikon kysely")


def stopped(body: str) -> bool:
    return any(words in body for words in STOPPED)


def write_users(path: Path) -> Path:
    h = hash_password(PASSWORD)
    path.write_text("".join(f'[users.{u}]\nrole = "{r}"\npassword = "{h}"\n'
                            for u, r in USERS.items()), encoding="utf-8")
    return path


@contextmanager
def serve(db: Path, users: Path, **extra: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "JATKUMO_USERS": str(users), "JATKUMO_WEB_SECRET": "attack-secret",
           "JATKUMO_ALERTMANAGER_URL": "", "JATKUMO_PUBLIC_URL": f"http://127.0.0.1:{port}",
           **LIMITS, **extra}
    # the file named relative to the server's folder, as the README writes it: analyst SQL
    # runs in a folder of its own, and once looked for the file there (every query failed)
    with serving(db, port, env, db.parent / f"serve-{port}.log", relative=True) as url:
        yield url
