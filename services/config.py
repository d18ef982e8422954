"""All configuration is read here, from environment variables with local defaults. Nothing else
in jatkumo reads the environment, and nothing connects at import time."""

import csv
import io
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from urllib.parse import urlsplit

from schemas import reference
from schemas.errors import ConfigError
from schemas.types import FIRST_DAY, LAST_DAY, is_date_text
from streams.core.rules import (
    DEFAULT_REFERRAL_THRESHOLDS,
    DEFAULT_THRESHOLDS,
    GAP_TYPES,
    ORGANIZER_KINDS,
    Handoff,
    Rules,
)

KEY_VAR = "JATKUMO_PSEUDONYM_KEY"


@dataclass(frozen=True)
class Settings:
    pseudonym_key: bytes | None = None
    rules: Rules = field(default_factory=Rules)
    bootstrap: str = "127.0.0.1:9092"
    areas_file: str | None = None  # CSV code,internal_area overriding the default areas
    duckdb_memory: str = "1GB"  # memory limit of the DuckDB writer in replay


# A settings file is small; reading stops past this (a path to /dev/zero or a log file named
# by mistake must not fill the memory: attack, 2026-12-04, JATKUMO_USERS=/dev/zero).
SETTINGS_FILE_MAX_BYTES = 1024 * 1024


def read_small(path: str, where: str, limit: int = SETTINGS_FILE_MAX_BYTES,
               help_text: str = "") -> bytes:
    """The bytes of a settings file of at most `limit` bytes; ConfigError naming `where`
    otherwise, or when it cannot be read."""
    tail = f"; {help_text}" if help_text else ""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise ConfigError(f"cannot read {where}: {e.strerror}{tail}") from None
    if len(data) > limit:
        size = f"{limit // 1024} KiB" if limit < 1024 * 1024 else f"{limit // 2**20} MiB"
        raise ConfigError(f"{where} is larger than {size}: not such a file{tail}")
    return data


def read_areas(path: str) -> dict[str, str]:
    """A CSV with columns `code` and `internal_area` (others are ignored)."""
    data = read_small(path, f"JATKUMO_AREAS_FILE {path}")
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    except (UnicodeDecodeError, csv.Error) as e:
        raise ConfigError(f"cannot read JATKUMO_AREAS_FILE {path}: {e}") from None
    if not rows or not {"code", "internal_area"} <= set(rows[0]):
        raise ConfigError(f"{path} must be a CSV with columns code,internal_area")
    return {r["code"].strip().zfill(3): r["internal_area"].strip() for r in rows}


def apply_reference(settings: Settings | None = None) -> None:
    """Make the configured internal areas the ones every relation and page uses. Without
    settings, only JATKUMO_AREAS_FILE is read: every command does this first, and a command
    must not fail for a variable it does not use (a wrong JATKUMO_HANDOFFS stopped `sql`)."""
    areas_file = (os.environ.get("JATKUMO_AREAS_FILE") or None if settings is None
                  else settings.areas_file)
    if areas_file:
        try:
            reference.use_internal_areas(read_areas(areas_file))
        except ValueError as e:
            raise ConfigError(f"{areas_file}: {e}") from None


def _memory(text: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip()):
        raise ConfigError(
            f"JATKUMO_DUCKDB_MEMORY must be a size such as 1GB or 512MiB, got {text!r}")
    return text.strip()


def parse_date(text: str, what: str) -> date:
    """A configured date: YYYY-MM-DD, within the years every event date lies in."""
    try:
        if not is_date_text(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{what} must be a date YYYY-MM-DD, got {text!r}") from None
    return in_event_years(day, what)


def in_event_years(day: date, what: str) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ConfigError(f"{what}: {day} is outside the years of the events "
                          f"({FIRST_DAY.year}-{LAST_DAY.year}); give a date within them")
    return day


def parse_thresholds(text: str, rules: Rules) -> Rules:
    """`GAP_TYPE=N` pairs, comma-separated; REFERRAL_STALLED.TARGET=N sets one referral target."""
    gaps = dict(rules.thresholds)
    referrals = dict(rules.referral_thresholds)
    for item in filter(None, (x.strip() for x in text.split(","))):
        name, _, value = item.partition("=")
        if not value.strip().isdigit():
            raise ConfigError(f"threshold {item!r} must be NAME=DAYS, e.g. SERVICE_BREAK=30")
        days = int(value)
        if name in DEFAULT_THRESHOLDS:
            gaps[name] = days
        elif name == "REFERRAL_STALLED":
            referrals = dict.fromkeys(referrals, days)
        elif name.startswith("REFERRAL_STALLED.") and name[17:] in DEFAULT_REFERRAL_THRESHOLDS:
            referrals[name[17:]] = days
        else:
            raise ConfigError(
                f"unknown threshold {name!r}: use one of {', '.join(GAP_TYPES)} or "
                f"REFERRAL_STALLED.<target> ({', '.join(DEFAULT_REFERRAL_THRESHOLDS)})")
    return replace(rules, thresholds=gaps, referral_thresholds=referrals)


SERVICES = ("KTT", "SOSKU", "NUPA")
_HANDOFF_KEYS = {"name", "services", "from", "to", "date", "grace_days"}


# A handoffs file is a few dozen lines; reading stops past this (a path to /dev/zero or a
# log file named by mistake must not fill the memory).
HANDOFFS_MAX_BYTES = 64 * 1024
_HANDOFFS_HELP = ("give a UTF-8 TOML file of [[handoff]] tables with name, services, from, to "
                  "and date (SPEC.md 4.1)")


def read_handoffs(path: str, source: str = "the handoffs file") -> tuple[Handoff, ...]:
    """The handoffs of a TOML file (SPEC.md 4.1): `[[handoff]]` tables with name, services,
    from, to, date and optionally grace_days. Every mistake is named with what to write;
    `source` says where the path came from (the flag or JATKUMO_HANDOFFS)."""
    where = f"{source} {path}"
    data = read_small(path, where, HANDOFFS_MAX_BYTES, _HANDOFFS_HELP)
    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))  # a byte order mark is no mistake
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not UTF-8 text; save it as UTF-8 ("
                          f"{_HANDOFFS_HELP})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{where} is not valid TOML: {e}; correct it there, as in "
                          "the example of SPEC.md 4.1") from None
    except RecursionError:  # tomllib recurses into nested arrays and tables
        raise ConfigError(f"{where} nests arrays or tables too deeply: not a "
                          f"handoffs file; {_HANDOFFS_HELP}") from None
    except ValueError as e:  # e.g. an integer of more digits than Python converts
        raise ConfigError(f"{where} cannot be read as TOML ({e}); "
                          f"{_HANDOFFS_HELP}") from None
    tables = doc.get("handoff")
    if not isinstance(tables, list) or not tables or set(doc) != {"handoff"}:
        raise ConfigError(f"{where} must hold one or more [[handoff]] tables and nothing else")
    out = [_handoff(where, i, t) for i, t in enumerate(tables, 1)]
    names = [h.name for h in out]
    if len(set(names)) < len(names):
        raise ConfigError(f"{where}: handoff names must be unique, got {names}")
    # SPEC.md 4.1's responsible(s, d) is the handoff with the latest date among those of s:
    # two of one service on one date leave it undefined, and the file's order decided it
    for a, b in ((a, b) for n, a in enumerate(out) for b in out[n + 1:]):
        if a.date == b.date and (shared := sorted(a.services & b.services)):
            raise ConfigError(f"{where}: handoffs {a.name!r} and {b.name!r} both move "
                              f"{', '.join(shared)} on {a.date}; which kind is responsible from "
                              "that day is then undefined: give them different dates or services")
    return tuple(out)


def _handoff(path: str, i: int, t: object) -> Handoff:
    where = f"{path}: handoff {i}"
    if not isinstance(t, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(t) - _HANDOFF_KEYS
    missing = _HANDOFF_KEYS - {"grace_days"} - set(t)
    if unknown or missing:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)} / missing keys "
                          f"{sorted(missing)}; use {sorted(_HANDOFF_KEYS)}")
    name, services, day = t["name"], t["services"], t["date"]
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", name):
        raise ConfigError(f"{where}: name must be 1-40 of A-Z a-z 0-9 _ . -, got {name!r}")
    if (not isinstance(services, list) or not services
            or not all(isinstance(s, str) and s in SERVICES for s in services)):
        raise ConfigError(f"{where}: services must be a list of {', '.join(SERVICES)}")
    for key in ("from", "to"):
        if t[key] not in ORGANIZER_KINDS:
            raise ConfigError(f"{where}: {key} must be one of {', '.join(ORGANIZER_KINDS)}")
    if t["from"] == t["to"]:
        raise ConfigError(f"{where}: from and to must differ")
    if isinstance(day, str):
        day = parse_date(day, f"{where}: date")
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ConfigError(f"{where}: date must be a date such as 2023-01-01")
    day = in_event_years(day, f"{where}: date")
    grace = t.get("grace_days", 14)
    if not isinstance(grace, int) or isinstance(grace, bool) or not 0 <= grace <= 3650:
        raise ConfigError(f"{where}: grace_days must be a whole number of days (0-3650)")
    return Handoff(name, frozenset(services), t["from"], t["to"], day, grace)


def with_handoffs(rules: Rules, path: str | None,
                  source: str = "the handoffs file") -> Rules:
    if not path:
        return rules
    return replace(rules, configured_handoffs=read_handoffs(path, source))


def load(env: Mapping[str, str] | None = None, handoffs: str | None = None,
         rules_too: bool = True) -> Settings:
    """The settings of the environment. `handoffs`: a handoffs file given on the command line,
    which wins over JATKUMO_HANDOFFS (that one is then not read at all). `rules_too=False`
    for a command that evaluates nothing (the sink, publish, import): the rules' variables
    are not read, so a wrong one cannot stop it."""
    env = os.environ if env is None else env
    key = env.get(KEY_VAR) or None
    rules = _rules(env, handoffs) if rules_too else Rules()
    return Settings(
        pseudonym_key=key.encode("utf-8") if key else None,
        rules=rules,
        bootstrap=env.get("JATKUMO_BOOTSTRAP", "127.0.0.1:9092"),
        areas_file=env.get("JATKUMO_AREAS_FILE") or None,
        duckdb_memory=_memory(env.get("JATKUMO_DUCKDB_MEMORY", "1GB")),
    )


def _rules(env: Mapping[str, str], handoffs: str | None) -> Rules:
    rules = Rules()
    if env.get("JATKUMO_CUTOVER"):
        rules = replace(rules, cutover=parse_date(env["JATKUMO_CUTOVER"], "JATKUMO_CUTOVER"))
    if env.get("JATKUMO_THRESHOLDS"):
        rules = parse_thresholds(env["JATKUMO_THRESHOLDS"], rules)
    if env.get("JATKUMO_HANDOFF_GRACE_DAYS"):
        grace = env["JATKUMO_HANDOFF_GRACE_DAYS"]
        if not grace.isdigit():
            raise ConfigError(f"JATKUMO_HANDOFF_GRACE_DAYS must be a whole number, got {grace!r}")
        rules = replace(rules, handoff_grace_days=int(grace))
    if handoffs:
        rules = with_handoffs(rules, handoffs)
    else:
        rules = with_handoffs(rules, env.get("JATKUMO_HANDOFFS"),
                              "the handoffs file of JATKUMO_HANDOFFS")
    default_only(rules, [v for v in ("JATKUMO_CUTOVER", "JATKUMO_HANDOFF_GRACE_DAYS")
                         if env.get(v)])
    return rules


def default_only(rules: Rules, given: list[str]) -> None:
    """Refuse settings of the default handoff (`given`: their names) beside a handoffs file,
    which replaces that handoff: they would be ignored without a word."""
    if rules.configured_handoffs is not None and given:
        raise ConfigError(f"{' and '.join(given)} set the default handoff only, and a "
                          "handoffs file replaces that one: leave them out and set the date "
                          "and grace_days in the file's [[handoff]] (SPEC.md 4.1)")


@dataclass(frozen=True)
class WebSettings:
    """`jatkumo serve` and alert delivery (JATKUMO_USERS, JATKUMO_WEB_*, JATKUMO_ALERT*)."""

    users_file: str | None = None  # TOML or JSON with users, roles and password hashes
    secret: bytes | None = None  # keys opaque references; None: one kept in the web DB file
    alertmanager_url: str | None = None  # e.g. http://127.0.0.1:9093; None: no delivery
    public_url: str = "http://127.0.0.1:8080"  # dashboard address put in alert annotations
    alert_resend_seconds: float = 60.0  # Alertmanager wants firing alerts re-sent
    alert_sync_seconds: float = 30.0  # how often the gaps are re-read for new or ended alerts
    sql_row_limit: int = 1000
    sql_timeout_seconds: float = 10.0
    # Analyst SQL runs in processes of its own (services/web/sqlproc.py): each with this
    # DuckDB memory limit (and the kernel's data-size cap 512 MiB above it), at most
    # sql_per_user at once per user and sql_processes in all, so the pages keep their CPU.
    sql_memory_limit: str = "512MB"
    sql_per_user: int = 1
    sql_processes: int = 2
    # Live mode: how often (at most) the sink publishes the read-only snapshot the pages read.
    snapshot_seconds: float = 5.0
    # Counts from 1 to suppress_below - 1 are shown to managers as "<N" (the dash_* views read
    # it from the connection variable jatkumo_suppress_below, which the dashboard sets).
    suppress_below: int = 5


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {text!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be above zero, got {text!r}")
    return value


@dataclass(frozen=True)
class IngestSettings:
    """`serve --ingest` (JATKUMO_INGEST_*)."""

    events_per_second: float = 2_000.0  # per token; a bucket holds ten seconds of them
    read_seconds: float = 30.0  # a request body slower than this is answered 408


def load_ingest(env: Mapping[str, str] | None = None) -> IngestSettings:
    env = os.environ if env is None else env
    return IngestSettings(_number(env, "JATKUMO_INGEST_EVENTS_PER_SECOND", 2_000.0),
                          _number(env, "JATKUMO_INGEST_READ_SECONDS", 30.0))


def _public_url(text: str) -> str:
    """The dashboard's address as alerts link to it and as its cookies' Secure flag reads it:
    http(s), a host, nothing else. It is put in every alert sent to Alertmanager, so a
    `javascript:` link, a password or a query in it would go with each one."""
    try:
        parts = urlsplit(text.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is no number or too large
    except ValueError:
        parts = None
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or parts.username is not None or parts.query or parts.fragment
            or any(c.isspace() or not c.isprintable() for c in text.strip())):
        raise ConfigError("JATKUMO_PUBLIC_URL must be the dashboard's address, such as "
                          "https://jatkumo.example.fi or http://127.0.0.1:8080 (http or https, "
                          "a host, no user, query or fragment)") from None
    return text.strip().rstrip("/")


def default_public_url(host: str, port: int) -> str:
    """The address `serve --host --port` answers on, for alerts' links when
    JATKUMO_PUBLIC_URL is unset (the fixed default named port 8080 whatever --port was)."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"  # bound to every address: this machine's own is one of them
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def load_web(env: Mapping[str, str] | None = None, *, host: str = "127.0.0.1",
             port: int = 8080) -> WebSettings:
    """`host` and `port`: where the dashboard is served, for its address when
    JATKUMO_PUBLIC_URL is unset."""
    env = os.environ if env is None else env
    secret = env.get("JATKUMO_WEB_SECRET") or None
    return WebSettings(
        users_file=env.get("JATKUMO_USERS") or None,
        secret=secret.encode("utf-8") if secret else None,
        alertmanager_url=(env.get("JATKUMO_ALERTMANAGER_URL") or "").rstrip("/") or None,
        # only a given address is checked: a --host that is not this machine's is refused
        # when the server binds, in words about --host (services/web/server.run)
        public_url=(_public_url(env["JATKUMO_PUBLIC_URL"]) if env.get("JATKUMO_PUBLIC_URL")
                    else default_public_url(host, port)),
        alert_resend_seconds=_number(env, "JATKUMO_ALERT_RESEND_SECONDS", 60.0),
        alert_sync_seconds=_number(env, "JATKUMO_ALERT_SYNC_SECONDS", 30.0),
        sql_row_limit=int(_number(env, "JATKUMO_SQL_ROW_LIMIT", 1000)),
        sql_timeout_seconds=_number(env, "JATKUMO_SQL_TIMEOUT_SECONDS", 10.0),
        sql_memory_limit=_sql_memory(env, "JATKUMO_SQL_MEMORY_LIMIT", "512MB"),
        sql_per_user=_whole(env, "JATKUMO_SQL_PER_USER", 1) or 1,
        sql_processes=_whole(env, "JATKUMO_SQL_PROCESSES", 2) or 1,
        snapshot_seconds=_number(env, "JATKUMO_SNAPSHOT_SECONDS", 5.0),
        suppress_below=_threshold(env),
    )


def _threshold(env: Mapping[str, str]) -> int:
    """k of the suppression: 1 (or 0) shows every count as it is, on purpose. k = 2 is
    refused: counts from 1 to k - 1 are hidden as `<k` and zeros are shown, so a `<2` could
    only be 1, a hidden count that every reader can read."""
    k = _whole(env, "JATKUMO_SUPPRESS_BELOW", 5) or 1
    if k == 2:
        raise ConfigError(
            "JATKUMO_SUPPRESS_BELOW=2 would hide only counts of 1, so every `<2` would say "
            "1: use 3 or more (5 by default), or 1 to show every count as it is")
    return k


@dataclass(frozen=True)
class KafkaSettings:
    """The live pipeline on Kafka (publish, worker, sink)."""

    bootstrap: str = "127.0.0.1:9092"
    partitions: int = 6  # of jatkumo.events, and so of the worker's table changelog
    replication: int = 1  # 3 on the three-node cluster
    # as-of of the worker: "latest" (the latest effective date it has seen: historical data),
    # "today" (live, moved by a daily timer), or a fixed YYYY-MM-DD (parity with replay)
    as_of: str = "latest"
    # faust's web server, on 127.0.0.1 only; off by default (0), so that several workers run
    # on one machine without settings (each would want faust's port 6066)
    worker_web_port: int = 0
    # faust's data folder; empty: a temporary folder of the worker's own, removed at its exit
    # (the tables are in memory and recovered from Kafka, nothing there outlives a worker)
    worker_dir: str = ""
    # seconds without a heartbeat after which a worker loses its partitions to the others
    worker_session_timeout: float = 15.0


def _sql_memory(env: Mapping[str, str], name: str, default: str) -> str:
    text = (env.get(name) or default).strip()
    if not re.fullmatch(r"\d+\s*[MG]i?B", text, re.I) or not int(re.sub(r"\D", "", text)):
        raise ConfigError(f"{name} must be a size such as 512MB or 2GB, got {text!r}")
    return text


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "")
    if not text:
        return default
    if not text.isdigit():
        raise ConfigError(f"{name} must be a whole number, got {text!r}")
    return int(text)


def load_kafka(env: Mapping[str, str] | None = None) -> KafkaSettings:
    env = os.environ if env is None else env
    as_of = env.get("JATKUMO_AS_OF", "latest")
    if as_of not in ("latest", "today"):
        parse_date(as_of, "JATKUMO_AS_OF (or 'latest' or 'today')")
    return KafkaSettings(
        bootstrap=env.get("JATKUMO_BOOTSTRAP", "127.0.0.1:9092"),
        partitions=_whole(env, "JATKUMO_PARTITIONS", 6),
        replication=_whole(env, "JATKUMO_REPLICATION", 1),
        as_of=as_of,
        worker_web_port=_whole(env, "JATKUMO_WORKER_WEB_PORT", 0),
        worker_dir=env.get("JATKUMO_WORKER_DIR", ""),
        worker_session_timeout=_seconds(env, "JATKUMO_WORKER_SESSION_TIMEOUT", 15.0),
    )


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "")
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 1.0 <= value <= 300.0:
        raise ConfigError(f"{name} must be a number of seconds from 1 to 300, got {text!r}")
    return value
