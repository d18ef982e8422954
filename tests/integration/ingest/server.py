"""A real `jatkumo serve --db FILE --ingest` process on a free loopback port, for the ingest
tests: started, waited for (by retrying /healthz, never a fixed sleep), stopped or killed."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
KEY = "ingest-test-key"


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env=_env(env), timeout=120)


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JATKUMO_")}
    env["JATKUMO_PSEUDONYM_KEY"] = KEY
    env.update(extra)
    return env


def add_token(db: Path, source: str, name: str = "paja") -> str:
    """`jatkumo token add` for the file `db`: the new token (shown once)."""
    made = cli("token", "add", name, "--source", source, "--db", str(db))
    assert made.returncode == 0, made.stderr
    return made.stdout.splitlines()[0]


@dataclass
class Server:
    db: Path
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post(self, body: bytes, token: str | None, content_type: str = "application/json",
             ) -> tuple[int, dict[str, Any], dict[str, str]]:
        req = urllib.request.Request(self.url + "/api/v1/events", data=body, method="POST",
                                     headers={"Content-Type": content_type})
        if token is not None:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read()), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}"), dict(e.headers)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(30)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def start(db: Path, **env: str) -> Server:
    users = db.with_name("users.toml")
    if not users.exists():  # the dashboard's users; the ingest API has tokens instead
        from services.web.auth import hash_password

        hashed = hash_password("pw-m-1234")
        hashed = hash_password("pw-m-1234")
        users.write_text(f'[users.m]\nrole = "manager"\npassword = "{hashed}"\n')
    env.setdefault("JATKUMO_USERS", str(users))
    port = free_port()
    log = db.with_name(db.name + f".{port}.log")
    with open(log, "wb") as out:  # the server writes its own copy of the fd
        proc = subprocess.Popen([sys.executable, "-m", "services.cli", "serve", "--db",
                                 str(db), "--ingest", "--port", str(port)], cwd=ROOT,
                                env=_env(env), stdout=out, stderr=subprocess.STDOUT)
    server = Server(db, port, proc, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve --ingest exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            if server.get("/healthz")[0] == 200:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError("serve --ingest did not answer /healthz within 90 s")
