"""Which column of an export holds which field of an event: a TOML file, one table per kind.

    [attendance]                 # every key is optional: a field's default column is its name
    client_id = "Asiakas"        # or client_hetu = "Henkilötunnus" (pseudonymised at the door)
    contract_id = "Sopimus"      # or leave it out and give --contract-map
    date = "Päivä"
    present = "Läsnä"
    empty_is_absent = true       # an empty present cell means absent (lists marked with x)

    [contracts]
    contract_id = "Sopimusnumero"
    start_date = "Alkaa"
    [contracts.constants]        # a value for every row, where the export has no column
    service = "KTT"
    organizer = "wellbeing_area:pohjois-pohjanmaa"
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from schemas.errors import ConfigError, UsageError
from schemas.hetu import mask_codes
from services.config import read_small

FIELDS = {
    "attendance": ("client_id", "client_hetu", "contract_id", "date", "present"),
    "contracts": ("client_id", "client_hetu", "contract_id", "service", "organizer",
                  "producer_id", "producer_kind", "producer_municipality", "start_date",
                  "planned_end_date", "days_per_week", "hours_per_day", "end_date",
                  "end_reason"),
}
REQUIRED = {
    "attendance": ("date", "present"),
    "contracts": ("contract_id", "service", "organizer", "producer_id", "producer_kind",
                  "producer_municipality", "start_date"),
}


@dataclass(frozen=True)
class Mapping:
    kind: str
    columns: dict[str, str]  # field -> column of the export
    constants: dict[str, str] = field(default_factory=dict)  # field -> value for every row
    empty_is_absent: bool = False

    def has(self, name: str) -> bool:
        return name in self.columns or name in self.constants

    def cell(self, row: dict[str, str], name: str) -> str:
        """The field's text in a row ('' when the export leaves it empty or has no column)."""
        if name in self.constants:
            return self.constants[name]
        return row.get(self.columns.get(name, "\0none"), "")


MAX_BYTES = 2**20  # a mapping names a few dozen columns: a larger file is some other file


def load_mapping(kind: str, path: Path | None, header: list[str]) -> Mapping:
    doc = _read(kind, path) if path is not None else {}
    constants = doc.pop("constants", {})
    empty_is_absent = doc.pop("empty_is_absent", False)
    if not isinstance(constants, dict) or not isinstance(empty_is_absent, bool):
        raise _refusal(f"{path}: [{kind}.constants] must be a table, empty_is_absent true or "
                       "false")
    unknown = (set(doc) | set(constants)) - set(FIELDS[kind])
    if unknown:
        raise _refusal(f"{path}: unknown fields {sorted(unknown)}; the fields of {kind} are "
                       f"{', '.join(FIELDS[kind])}")
    columns, values = _texts(path, kind, doc, constants)
    m = Mapping(kind, {f: c for f, c in columns.items() if c in header}, values,
                empty_is_absent)
    _check(m, header, path)
    return m


def _read(kind: str, path: Path) -> dict[str, object]:
    """The [kind] table of a mapping file; every way the file can be wrong is a usage error
    that names it (a file of another encoding or a deeply nested one had been a traceback)."""
    try:  # the settings files' reader: a FIFO, a device or a huge file named by mistake
        data = read_small(str(path), f"the mapping {path}", MAX_BYTES,
                          "give the TOML file that names the export's columns")
    except ConfigError as e:
        raise _refusal(str(e)) from None
    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))  # a byte order mark is no mistake
    except UnicodeDecodeError:
        raise _refusal(f"the mapping {path} is not UTF-8 text; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise _refusal(f"the mapping {path} is not valid TOML: {e}") from None
    except RecursionError:  # tomllib recurses into nested arrays and tables
        raise _refusal(f"the mapping {path} nests arrays or tables too deeply: not a "
                       "mapping; give the TOML file that names the export's columns") from None
    except ValueError as e:  # e.g. an integer of more digits than Python converts
        raise _refusal(f"the mapping {path} cannot be read as TOML ({e})") from None
    table = doc.get(kind, {})
    if not isinstance(table, dict):
        raise _refusal(f"{path}: [{kind}] must be a table")
    return table


def _texts(path: Path | None, kind: str, doc: dict[str, object],
           constants: dict[str, object]) -> tuple[dict[str, str], dict[str, str]]:
    """Field -> column and field -> constant, each a string as written: a number, a table or
    an array had been turned into text (`present = 1` became true, `contract_id = {a=1}` the
    contract "{'a': 1}") or into a column no export has."""
    for name, value in doc.items():
        if not isinstance(value, str) or not value.strip():
            raise _refusal(f"{path}: {name} in [{kind}] is {_what(value)}; name its column "
                           f'in quotes, e.g. {name} = "{name}"')
    for name, value in constants.items():
        if not isinstance(value, str):
            raise _refusal(f"{path}: {name} in [{kind}.constants] is {_what(value)}; a "
                           f'constant is text in quotes, e.g. {name} = "…"')
    columns = {f: str(doc.get(f, f)) for f in FIELDS[kind] if f not in constants}
    return columns, {k: str(v) for k, v in constants.items()}


def _what(value: object) -> str:
    """What a TOML value is, in the words of TOML (its text may be long or a client's)."""
    if isinstance(value, str):
        return "empty"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    return "a table" if isinstance(value, dict) else "a date or a time"


def _refusal(text: str) -> UsageError:
    """A usage error with identity codes masked: its text quotes file names (an export may be
    named after its client) and the export's header, which is the first row of a client's
    cells when the export has no header line (SPEC.md 1.2)."""
    return UsageError(mask_codes(text))


def _check(m: Mapping, header: list[str], path: Path | None) -> None:
    where = f"the mapping {path}" if path else "the default mapping (column = field name)"
    missing = [f for f in REQUIRED[m.kind] if not m.has(f)]
    if m.has("client_id") == m.has("client_hetu"):
        missing.append("client_id or client_hetu (exactly one)")
    if missing:
        raise _refusal(f"{where} finds no column for {', '.join(missing)} among the export's "
                       f"columns {header}; name them in [{m.kind}] of a --mapping file")
