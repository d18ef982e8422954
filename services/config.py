"""All configuration is read here, from environment variables with local defaults. Nothing else
in jatkumo reads the environment, and nothing connects at import time."""

import csv
import io
import math
import os
import re
import stat
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from urllib.parse import urlsplit

from schemas import reference
from schemas.door import seen_code
from schemas.errors import ConfigError
from schemas.types import FIRST_DAY, LAST_DAY, is_date_text
from streams.core.compiled import PURE as PURE_CORE
from streams.core.compiled import which as which_core
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
    pseudonym_key: bytes | None = field(default=None, repr=False)  # no repr shows the key
    rules: Rules = field(default_factory=Rules)
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
        _refuse_special(os.stat(path).st_mode, where, tail)
        # O_NONBLOCK: a FIFO put there after the stat must not block the open for ever
        # (attack H5: a FIFO as JATKUMO_AREAS_FILE hung every command); a file ignores it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as f:
            _refuse_special(os.fstat(fd).st_mode, where, tail)
            data = f.read(limit + 1)
    except OSError as e:
        raise ConfigError(f"cannot read {where}: {e.strerror}{tail}") from None
    if len(data) > limit:
        size = f"{limit // 1024} KiB" if limit < 1024 * 1024 else f"{limit // 2**20} MiB"
        raise ConfigError(f"{where} is larger than {size}: not such a file{tail}")
    return data


def _refuse_special(mode: int, where: str, tail: str) -> None:
    """Refuse what a settings file cannot be. Reading a FIFO waits for a writer, for ever
    (attack H5), and a socket or a block device is no file. A character device is read as a
    file is, without blocking and only up to the limit: /dev/zero is refused by its size and
    /dev/null reads as an empty file, each with its own message."""
    hint = tail or ": give the path of a settings file"
    if stat.S_ISDIR(mode):  # in the words open() used for it
        raise ConfigError(f"cannot read {where}: Is a directory{hint}")
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISBLK(mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "a block device")
        raise ConfigError(f"{where} is {kind}, not a regular file{hint}")


def refuse_code(text: str, where: str) -> str:
    """`text`, a name from a settings file (a user, an area, a handoff), unless it holds an
    identity code as the door would read one: such a name is stored in DuckDB files and shown
    on every page (attack, 2026-12-05: a handoff named `131052-308T` in handoff_status, a user
    of that name in every page's header). ConfigError then (its text is masked when shown)."""
    if seen_code(text):
        raise ConfigError(f"{where} holds an identity code ({text}); a name is stored and shown "
                          "on pages: choose one without it")
    return text


_AREAS_HELP = "give a UTF-8 CSV with columns code,internal_area, one municipality a line"


def read_areas(path: str) -> dict[str, str]:
    """A CSV with columns `code` and `internal_area` (others are ignored). Every row names a
    municipality once and gives it an area: a mistake is named with its line."""
    where = f"JATKUMO_AREAS_FILE {path}"
    data = read_small(path, where)
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        if not {"code", "internal_area"} <= set(reader.fieldnames or ()):
            raise ConfigError(f"{where} must be a CSV with columns code,internal_area")
        areas: dict[str, str] = {}
        lines: dict[str, int] = {}
        for row in reader:
            code, area = _area_row(row, f"{where}, line {reader.line_num}")
            if code in areas:
                raise ConfigError(f"{where}, line {reader.line_num}: municipality {code} is "
                                  f"already on line {lines[code]}; list each one once")
            areas[code], lines[code] = area, reader.line_num
    except (UnicodeDecodeError, csv.Error) as e:
        raise ConfigError(f"cannot read {where}: {e}; {_AREAS_HELP}") from None
    if not areas:
        raise ConfigError(f"{where} lists no municipalities; {_AREAS_HELP}")
    return areas


def _area_row(row: dict[str | None, str | None], where: str) -> tuple[str, str]:
    """(code, internal area) of one row. A short row (or one an unclosed quote ran into the
    next lines) has no cell at all for a column: csv gives None, not an empty string."""
    code = (row.get("code") or "").strip()
    area = (row.get("internal_area") or "").strip()
    if not (code.isascii() and code.isdigit() and len(code) <= 3):
        raise ConfigError(f"{where}: code must be a municipality code of 1-3 digits, such as "
                          f"564, got {_shown(code)}; {_AREAS_HELP}")
    if not area:
        raise ConfigError(f"{where}: municipality {code.zfill(3)} has no internal_area; "
                          "give it one (or leave the line out to keep its default area)")
    return code.zfill(3), refuse_code(area, f"{where}: internal_area")


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


_MEMORY_UNITS = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
                 "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}  # as DuckDB reads them
# DuckDB refuses 0GB (a replay cannot start) and sizes past 2**63 bytes, in exceptions
# that ended in a traceback; below 64MB a replay of any size fails for memory.
DUCKDB_MEMORY_RANGE = (64 * 10**6, 2**50)


def _memory(text: str) -> str:
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip())
    low, high = DUCKDB_MEMORY_RANGE
    if m is None or not low <= float(m[1]) * _MEMORY_UNITS[m[2]] <= high:
        raise ConfigError(f"JATKUMO_DUCKDB_MEMORY must be a size from 64MB to 1024TiB, such as "
                          f"1GB or 512MiB, got {_shown(text)}")
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


# Days of a threshold or of a grace period: ten years, the bound the handoffs file puts on
# grace_days (a longer one would be ignored no less than a typo, and 20 digits of them did
# not fit the 64-bit integers the compiled core counts in).
MAX_DAYS = 3650


def _shown(text: str) -> str:
    """A wrong value as a message quotes it: 5000 pasted digits are cut short."""
    return repr(text if len(text) <= 40 else text[:37] + "...")


def whole_number(text: str, what: str, low: int, high: int, unit: str = "") -> int:
    """`text` as a whole number from `low` to `high`, else a ConfigError naming `what`.
    ASCII digits only: str.isdigit() also takes '²', which int() refuses."""
    digits = text.strip()
    of = f" of {unit}" if unit else ""
    wrong = ConfigError(f"{what} must be a whole number{of} from {low} to {high}, "
                        f"got {_shown(text)}")
    if not (digits.isascii() and digits.isdigit()):
        raise wrong
    # more digits than `high` has is out of range, and int() refuses more than 4300 of them
    if len(digits.lstrip("0")) > len(str(high)) or not low <= int(digits) <= high:
        raise wrong
    return int(digits)


def parse_thresholds(text: str, rules: Rules, source: str = "--thresholds") -> Rules:
    """`GAP_TYPE=N` pairs, comma-separated; REFERRAL_STALLED.TARGET=N sets one referral target.
    `source` (the flag or JATKUMO_THRESHOLDS) begins every message."""
    gaps = dict(rules.thresholds)
    referrals = dict(rules.referral_thresholds)
    for item in filter(None, (x.strip() for x in text.split(","))):
        name, _, value = item.partition("=")
        if not (value.strip().isascii() and value.strip().isdigit()):
            raise ConfigError(f"{source}: threshold {_shown(item)} must be NAME=DAYS, e.g. "
                              "SERVICE_BREAK=30")
        days = whole_number(value, f"{source}: threshold {name}", 0, MAX_DAYS, "days")
        if name in DEFAULT_THRESHOLDS:
            gaps[name] = days
        elif name == "REFERRAL_STALLED":
            referrals = dict.fromkeys(referrals, days)
        elif name.startswith("REFERRAL_STALLED.") and name[17:] in DEFAULT_REFERRAL_THRESHOLDS:
            referrals[name[17:]] = days
        else:
            raise ConfigError(
                f"{source}: unknown threshold {_shown(name)}: use one of {', '.join(GAP_TYPES)} or "
                f"REFERRAL_STALLED.<target> ({', '.join(DEFAULT_REFERRAL_THRESHOLDS)})")
    return replace(rules, thresholds=gaps, referral_thresholds=referrals)


SERVICES = ("KTT", "SOSKU", "NUPA")
_HANDOFF_KEYS = {"name", "services", "from", "to", "date", "grace_days"}


# A handoffs file is a few dozen lines; reading stops past this (a path to /dev/zero or a
# log file named by mistake must not fill the memory).
HANDOFFS_MAX_BYTES = 64 * 1024
# Responsibility for a service moves once in many years (2023, and a decision of 2025 for a
# later date). Every handoff is a dimension of the published cube, whose suppression grows
# faster than its cells: 465 handoffs in 64 KiB took a replay of 12 contracts 217 s (100: 10
# s, 200: 34 s and 938 MB); 20 are a few seconds at most, and more is a file made by mistake.
HANDOFFS_MAX = 20
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
    if len(tables) > HANDOFFS_MAX:
        raise ConfigError(f"{where} lists {len(tables)} handoffs; at most {HANDOFFS_MAX} are "
                          "taken (responsibility for a service moves once in years): keep the "
                          "ones that moved or will move it")
    out = [_handoff(where, i, t) for i, t in enumerate(tables, 1)]
    names = [h.name for h in out]
    if len(set(names)) < len(names):
        raise ConfigError(f"{where}: handoff names must be unique, got {names}")
    # Two handoffs that move one service on one date are refused. To different kinds, SPEC.md
    # 4.1's responsible(s, d) (the to kind of the handoff with the latest date among those of
    # s) is undefined: the file's order decided it. To the same kind it is defined, but the
    # two move the same contracts, and the dashboard publishes each handoff's cells apart
    # (suppressed one handoff at a time): {KTT} and {KTT, SOSKU} on one day, one cell minus
    # the other is the SOSKU count of a place, however small (a review, 2026-12-06).
    for a, b in ((a, b) for n, a in enumerate(out) for b in out[n + 1:]):
        if a.date == b.date and (shared := sorted(a.services & b.services)):
            why = ("which kind is responsible from that day is then undefined"
                   if a.to_kind != b.to_kind else
                   "both would move the same contracts, and the difference of their published "
                   "counts could show a small one")
            raise ConfigError(f"{where}: handoffs {a.name!r} and {b.name!r} both move "
                              f"{', '.join(shared)} on {a.date}; {why}: make them one handoff, "
                              "or give them different dates or services")
    return tuple(out)


# A handoff's name is what a service manager calls it ("2023", "ktt-back", "KTT kunnille
# 2027", "Överföring 2023"), so letters of any script, digits and single spaces are taken, and
# a few marks that separate words. The name is shown on pages, in CSV files and in the
# `?handoff=` of a link: every one of those escapes it, and what could need escaping anyway
# (< > & " ' = + @ # ? % / \, control and format characters such as a bidi override) is
# refused here too, as is a name that holds an identity code.
_NAME_MARKS = frozenset("_.-(),")
_NAME_MAX = 40


def handoff_name(name: object, where: str) -> str:
    """The handoff name as written (Unicode NFC: a composed and a decomposed "ä" are one
    name), or a ConfigError that says which characters are taken."""
    rule = (f"{where}: name must be 1-{_NAME_MAX} characters: letters, digits, single spaces "
            f"and {' '.join(sorted(_NAME_MARKS))}, not starting or ending with a space")
    if not isinstance(name, str):
        raise ConfigError(f"{rule}; got {name!r:.60}")
    name = unicodedata.normalize("NFC", name)
    if (not 1 <= len(name) <= _NAME_MAX or name != name.strip(" ") or "  " in name
            or not all(c == " " or c in _NAME_MARKS
                       or unicodedata.category(c)[0] in "LN" for c in name)):
        # repr: a control or format character is shown as its escape, not acted on
        raise ConfigError(f"{rule}; got {name[:60]!r}{'…' if len(name) > 60 else ''}")
    return refuse_code(name, f"{where}: name")


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
    name = handoff_name(name, where)
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
    if not isinstance(grace, int) or isinstance(grace, bool) or not 0 <= grace <= MAX_DAYS:
        raise ConfigError(f"{where}: grace_days must be a whole number of days (0-{MAX_DAYS})")
    return Handoff(name, frozenset(services), t["from"], t["to"], day, grace)


def with_handoffs(rules: Rules, path: str | None,
                  source: str = "the handoffs file") -> Rules:
    if not path:
        return rules
    return replace(rules, configured_handoffs=read_handoffs(path, source))


def handoffs_flag(path: str | None) -> str | None:
    """The path of --handoffs as given. An empty one (`--handoffs ""`, a shell variable left
    unset) is a mistake, not "no file": taken as absent it ran the default handoff, or read
    JATKUMO_HANDOFFS, which the flag is there to override, without a word."""
    if path is not None and not path.strip():
        raise ConfigError(f"--handoffs is empty; {_HANDOFFS_HELP}, or leave --handoffs out "
                          "for the default handoff of 1.1.2023")
    return path


def load(env: Mapping[str, str] | None = None, handoffs: str | None = None,
         rules_too: bool = True) -> Settings:
    """The settings of the environment. `handoffs`: a handoffs file given on the command line,
    which wins over JATKUMO_HANDOFFS (that one is then not read at all). `rules_too=False`
    for a command that evaluates nothing (the sink, publish, import): the rules' variables
    are not read, so a wrong one cannot stop it."""
    env = os.environ if env is None else env
    key = _secret(env, KEY_VAR)
    rules = _rules(env, handoffs) if rules_too else Rules()
    return Settings(
        pseudonym_key=key,
        rules=rules,
        areas_file=env.get("JATKUMO_AREAS_FILE") or None,
        duckdb_memory=_memory(env.get("JATKUMO_DUCKDB_MEMORY", "1GB")),
    )


def _secret(env: Mapping[str, str], name: str) -> bytes | None:
    """A key as bytes. os.environ turns bytes that are not UTF-8 into lone surrogates, and
    those are refused rather than encoded back with surrogateescape: which str such bytes
    become depends on the locale of the process reading them, and a key must be the same
    bytes in every process, on every machine and after every restart (a pseudonym key that
    changes silently unlinks every client from their history). A key that is no text is
    almost always a mistake (a binary file pasted, a wrong encoding) besides."""
    text = env.get(name) or None
    if text is None:
        return None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(f"{name} must be UTF-8 text, and it holds bytes that are not: set "
                          "it to a key of text characters, such as the output of "
                          "'openssl rand -hex 32'") from None


def _rules(env: Mapping[str, str], handoffs: str | None) -> Rules:
    rules = Rules()
    if env.get("JATKUMO_CUTOVER"):
        rules = replace(rules, cutover=parse_date(env["JATKUMO_CUTOVER"], "JATKUMO_CUTOVER"))
    if env.get("JATKUMO_THRESHOLDS"):
        rules = parse_thresholds(env["JATKUMO_THRESHOLDS"], rules, "JATKUMO_THRESHOLDS")
    if env.get("JATKUMO_HANDOFF_GRACE_DAYS"):
        grace = whole_number(env["JATKUMO_HANDOFF_GRACE_DAYS"], "JATKUMO_HANDOFF_GRACE_DAYS",
                             0, MAX_DAYS, "days")
        rules = replace(rules, handoff_grace_days=grace)
    if handoffs_flag(handoffs) is not None:
        rules = with_handoffs(rules, handoffs, "the handoffs file of --handoffs")
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
    # A scraper that sends it as a Bearer token reads exact counts on /metrics; None: nobody.
    metrics_token: bytes | None = None


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float,
            unit: str) -> float:
    """A decimal number from `low` to `high`. float() alone also takes nan, inf, -5, 1e999
    and '١٢': a NaN timeout compares false with everything and held a request 40 s."""
    text = env.get(name)
    if not text:
        return default
    value = (float(text) if re.fullmatch(r"[0-9]+(\.[0-9]+)?|\.[0-9]+", text.strip())
             else math.nan)
    if not (math.isfinite(value) and low <= value <= high):
        raise ConfigError(f"{name} must be a number of {unit} from {low:g} to {high:g}, "
                          f"got {_shown(text)}")
    return value


# The longest wait a setting of seconds may ask for: past it a timeout or a period is a slip
# of the finger, and asyncio or a thread refuses a wait of 1e300 s (OverflowError).
HOUR, DAY = 3600.0, 86400.0


@dataclass(frozen=True)
class IngestSettings:
    """`serve --ingest` (JATKUMO_INGEST_*)."""

    events_per_second: float = 2_000.0  # per token; a bucket holds ten seconds of them
    read_seconds: float = 30.0  # a request body slower than this is answered 408


def load_ingest(env: Mapping[str, str] | None = None) -> IngestSettings:
    env = os.environ if env is None else env
    # a bucket holds ten seconds of events: below 0.1 a second it never holds one
    return IngestSettings(
        _number(env, "JATKUMO_INGEST_EVENTS_PER_SECOND", 2_000.0, 0.1, 1e6, "events a second"),
        _number(env, "JATKUMO_INGEST_READ_SECONDS", 30.0, 0.1, HOUR, "seconds"))


def _web_address(text: str, *, user_allowed: bool) -> bool:
    """Whether `text` is an http(s) address with a host and nothing a link should not carry
    (no query, fragment, space or control character; a user only where allowed)."""
    try:
        parts = urlsplit(text.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is no number or too large
    except ValueError:
        return False
    return not (parts.scheme.lower() not in ("http", "https") or not parts.hostname
                or (parts.username is not None and not user_allowed)
                or parts.query or parts.fragment or not text.strip().isascii()
                or any(c.isspace() or not c.isprintable() for c in text.strip()))


def _public_url(text: str) -> str:
    """The dashboard's address as alerts link to it and as its cookies' Secure flag reads it:
    http(s), a host, nothing else. It is put in every alert sent to Alertmanager, so a
    `javascript:` link, a password or a query in it would go with each one."""
    if not _web_address(text, user_allowed=False):
        raise ConfigError("JATKUMO_PUBLIC_URL must be the dashboard's address, such as "
                          "https://jatkumo.example.fi or http://127.0.0.1:8080 (http or https, "
                          "a host, no user, query or fragment)")
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
    return WebSettings(
        users_file=env.get("JATKUMO_USERS") or None,
        secret=_secret(env, "JATKUMO_WEB_SECRET"),
        alertmanager_url=_alertmanager_url(env.get("JATKUMO_ALERTMANAGER_URL") or ""),
        # only a given address is checked: a --host that is not this machine's is refused
        # when the server binds, in words about --host (services/web/server.run)
        public_url=(_public_url(env["JATKUMO_PUBLIC_URL"]) if env.get("JATKUMO_PUBLIC_URL")
                    else default_public_url(host, port)),
        alert_resend_seconds=_number(env, "JATKUMO_ALERT_RESEND_SECONDS", 60.0, 1, DAY,
                                     "seconds"),
        alert_sync_seconds=_number(env, "JATKUMO_ALERT_SYNC_SECONDS", 30.0, 1, DAY, "seconds"),
        # a page holds the rows it shows: a whole number (0.5 was read as 0 rows)
        sql_row_limit=_whole(env, "JATKUMO_SQL_ROW_LIMIT", 1000, 1, 100_000),
        sql_timeout_seconds=_number(env, "JATKUMO_SQL_TIMEOUT_SECONDS", 10.0, 0.1, HOUR,
                                    "seconds"),
        sql_memory_limit=sql_memory(env, "JATKUMO_SQL_MEMORY_LIMIT", "512MB"),
        # each process is a child of the server started ahead: a slip (2000) must not fork
        # thousands of them
        sql_per_user=_whole(env, "JATKUMO_SQL_PER_USER", 1, 0, 64) or 1,
        sql_processes=_whole(env, "JATKUMO_SQL_PROCESSES", 2, 0, 64) or 1,
        snapshot_seconds=_number(env, "JATKUMO_SNAPSHOT_SECONDS", 5.0, 0.1, HOUR, "seconds"),
        suppress_below=suppress_threshold(env),
        metrics_token=_metrics_token(env),
    )


METRICS_TOKEN_MIN = 16


def _metrics_token(env: Mapping[str, str]) -> bytes | None:
    """The token is all that stands between a scraper and counts the pages withhold, and
    /metrics takes guesses as fast as they come: a short one ("secret") is refused."""
    token = _secret(env, "JATKUMO_METRICS_TOKEN")
    if token is not None and len(token.decode().strip()) < METRICS_TOKEN_MIN:
        raise ConfigError(f"JATKUMO_METRICS_TOKEN must be at least {METRICS_TOKEN_MIN} "
                          "characters, such as the output of 'openssl rand -hex 32' (it "
                          "unlocks the exact small counts), or unset")
    return token.strip() if token is not None else None


CORES = (PURE_CORE, "compiled")


def check_core(env: Mapping[str, str]) -> None:
    """JATKUMO_CORE (streams.core.compiled reads it as the core is imported): unset or empty
    for the compiled core where its build is current, `pure` for the Python one, `compiled`
    to insist on the compiled one. Any other word ran the default in silence."""
    choice = env.get("JATKUMO_CORE", "")
    if choice and choice not in CORES:
        raise ConfigError(f"JATKUMO_CORE must be 'pure' or 'compiled', or unset, got "
                          f"{_shown(choice)}")
    if choice == "compiled" and which_core() != "compiled":
        raise ConfigError("JATKUMO_CORE=compiled, but build/core is missing or is not the "
                          "build of these sources for this Python: build it with "
                          "'.venv/bin/python deploy/build_core.py', or unset JATKUMO_CORE")


def suppress_threshold(env: Mapping[str, str]) -> int:
    """k of the suppression: 1 (or 0) shows every count as it is, on purpose; otherwise at
    least 5. Counts from 1 to k - 1 are hidden as `<k` and zeros are shown, so a `<2` could
    only be 1. At 3 and 4 an attack on the demo's pages gave counts away (2026-12-04: the
    service map then listed a service only where someone was in it, which pinned a withdrawn
    total's three cells at 1); the LP attack on every page (tests/e2e/web/test_suppression.py)
    is run at 5 and 10, and holds there."""
    k = _whole(env, "JATKUMO_SUPPRESS_BELOW", 5, 0, 1000) or 1
    if 1 < k < 5:
        raise ConfigError(
            f"JATKUMO_SUPPRESS_BELOW={k} would let the published figures give small counts "
            "away (a '<2' can only be 1; at 3 and 4 an attack pinned them): "
            "use 5 or more (5 by default), or 1 to show every count as it is")
    return k


@dataclass(frozen=True)
class KafkaSettings:
    """The live pipeline on Kafka (publish, worker, sink)."""

    bootstrap: str = "127.0.0.1:9092"
    # of jatkumo.events (and so of the worker's tables), when a run makes the topics: the most
    # workers that can share the work. Each is a transaction in every batch (streams.fencing):
    # six on two cores shared with the broker took its requests to 870 a second at 1,000
    # events/s, 70 % of them the transactions', and publish -> gap row p99 to 383-761 ms under
    # two CPU hogs; two: 222-329 ms (bench/kafka.py). Topics made already keep their count,
    # which the worker takes from them (services.worker).
    partitions: int = 2
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


def sql_memory(env: Mapping[str, str], name: str, default: str) -> str:
    """As services/web/sqlproc.memory_bytes reads it (MB = 2**20 bytes), from 64MB to 1024GB:
    each query's process gets its data-size cap from it, and setrlimit refuses a size past
    2**63 bytes in a child, where no setting is named."""
    text = (env.get(name) or default).strip()
    m = re.fullmatch(r"0*([0-9]{1,9})\s*([MG])i?B", text, re.I)  # 9 digits: int() is safe
    if m is None or not 64 <= int(m[1]) * (1024 if m[2].upper() == "G" else 1) <= 1024**2:
        raise ConfigError(f"{name} must be a size from 64MB to 1024GB, such as 512MB or 2GB, "
                          f"got {_shown(text)}")
    return text


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, "")
    return whole_number(text, name, low, high) if text else default


def _bootstrap(text: str) -> str:
    """Kafka's bootstrap servers: host[:port] items, comma-separated. Checked here, since a
    client that meets a host with bytes that are no text, or port 99999, fails in words about
    neither this variable nor the fix."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    for item in items or [""]:
        m = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::([0-9]{1,5}))?", item)
        if m is None or (m[2] is not None and not 1 <= int(m[2]) <= 65535):
            raise ConfigError("JATKUMO_BOOTSTRAP must be Kafka's address as host:port, "
                              "comma-separated if several, such as 127.0.0.1:9092, got "
                              f"{_shown(text)}")
    return text.strip()


def _alertmanager_url(text: str) -> str | None:
    """http(s) with a host; a user and password may be in it, so the message repeats none
    of it (they would go to every log that shows the error)."""
    if not text.strip():
        return None
    if not _web_address(text, user_allowed=True):
        raise ConfigError("JATKUMO_ALERTMANAGER_URL must be Alertmanager's address, such as "
                          "http://127.0.0.1:9093 (http or https, a host, no query or fragment; "
                          "a user and password are percent-encoded)")
    return text.strip().rstrip("/")


# What JATKUMO_KAFKA_HEAP and JATKUMO_KAFKA_JIT may hold: a heap size, and -XX options with
# plain values. They go on the broker's java command line, where a typo made the JVM exit in
# words about neither variable, and anything else (-jar, -cp, an agent) would change what runs.
_HEAP = re.compile(r"-Xmx[0-9]{1,7}[kKmMgG]?")
_XX = re.compile(r"-XX:(?:[+-][A-Za-z][A-Za-z0-9]*|[A-Za-z][A-Za-z0-9]*=[A-Za-z0-9.]+)")


def jvm_options(env: Mapping[str, str] | None = None) -> list[str]:
    """The broker JVM's heap (512 MiB by default) and compiler options (C1 only by default,
    see services/kafka_broker.py; an empty JATKUMO_KAFKA_JIT: the JVM's own choice)."""
    env = os.environ if env is None else env
    heap = env.get("JATKUMO_KAFKA_HEAP", "").strip() or "-Xmx512m"
    if not _HEAP.fullmatch(heap):
        raise ConfigError("JATKUMO_KAFKA_HEAP must be the broker's heap as java's -Xmx option, "
                          f"such as -Xmx512m or -Xmx2g, got {_shown(heap)}")
    jit = env.get("JATKUMO_KAFKA_JIT", "-XX:TieredStopAtLevel=1").split()
    for option in jit:
        if not _XX.fullmatch(option):
            raise ConfigError("JATKUMO_KAFKA_JIT must be java -XX options separated by spaces, "
                              "such as -XX:TieredStopAtLevel=1, or empty for the JVM's "
                              f"default compilers; got {_shown(option)}")
    return [heap, *jit]


def load_kafka(env: Mapping[str, str] | None = None) -> KafkaSettings:
    env = os.environ if env is None else env
    as_of = env.get("JATKUMO_AS_OF", "latest")
    if as_of not in ("latest", "today"):
        parse_date(as_of, "JATKUMO_AS_OF (or 'latest' or 'today')")
    return KafkaSettings(
        bootstrap=_bootstrap(env.get("JATKUMO_BOOTSTRAP") or "127.0.0.1:9092"),
        # 0 partitions or replicas is no topic; past these the broker is asked for thousands
        # of partitions or for more copies than any cluster of ours has brokers
        partitions=_whole(env, "JATKUMO_PARTITIONS", KafkaSettings.partitions, 1, 1000),
        replication=_whole(env, "JATKUMO_REPLICATION", 1, 1, 16),
        as_of=as_of,
        worker_web_port=_whole(env, "JATKUMO_WORKER_WEB_PORT", 0, 0, 65535),
        worker_dir=env.get("JATKUMO_WORKER_DIR", ""),
        worker_session_timeout=_number(env, "JATKUMO_WORKER_SESSION_TIMEOUT", 15.0, 1, 300,
                                       "seconds"),
    )
