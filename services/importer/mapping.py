"""Which column of an export holds which field of an event: a TOML file, one table per kind.

    [attendance]                 # every key is optional: a field's default column is its name
                                 # (a column named here must be in the export's header)
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

import difflib
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
        """The field's text in a row ('' when the export leaves it empty or has no column).
        No field holds a line break: a cell with one had a quote opened in it closed on a
        later line, and that line's row went into this cell (a hunt, 2026-12-06: a row lost
        into a contract id `K-0;1.2.2024;k\nc1;K-1`, and nothing said)."""
        if name in self.constants:
            return self.constants[name]
        text = row.get(self.columns.get(name, "\0none"), "")
        if "\n" in text or "\r" in text:
            raise ValueError(f"the {name} cell runs over a line end: a quote opened in this "
                             "row is closed on a later line, and the lines between are in the "
                             "cell; close the quote where the cell ends")
        return text


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
    twice = sorted(set(doc) & set(constants))
    if twice:  # (the constant had won, and the column was not read: a hunt, 2026-12-06)
        raise _refusal(f"{path}: {', '.join(twice)} in both [{kind}] and [{kind}.constants]; "
                       "a field is read from a column or is the same for every row: remove "
                       "one of the two")
    _named_columns_exist(path, kind, {f: columns[f] for f in doc}, header)
    # a field the mapping names is there, or it is refused above; a field it leaves out is
    # read from the column of its name if the export has one
    used = {f: c for f, c in columns.items() if c in header}
    who = {"client_id", "client_hetu"} & (set(doc) | set(constants))
    if len(who) == 1:  # the mapping says which column names the client: not the other too
        used.pop(({"client_id", "client_hetu"} - who).pop(), None)
    m = Mapping(kind, used, values, empty_is_absent)
    _check(m, header, path)
    return m


def _named_columns_exist(path: Path | None, kind: str, named: dict[str, str],
                         header: list[str]) -> None:
    """A column the mapping names that the export lacks is a mistake, a misspelt name most
    often: it had been left out without a word, and its field with it (a hunt, 2026-12-06:
    end_date = "Loppupaiva" beside an export's `Loppupäivä`, and no contract ended)."""
    absent = {f: c for f, c in named.items() if c not in header}
    if not absent:
        return
    said = []
    for f, c in absent.items():
        near = difflib.get_close_matches(c, header, n=1)
        said.append(f"{f} = {c!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
    raise _refusal(f"the mapping {path} names {'a column' if len(said) == 1 else 'columns'} "
                   f"the export does not have: {'; '.join(said)}; the export's columns are "
                   f"{header}: write the column's name in [{kind}] as the header has it")


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
    unknown = sorted(set(doc) - set(FIELDS))
    if unknown:  # (`[attendence]` had been passed over for the default mapping: a hunt,
        # 2026-12-06)
        said = [(f"[{k}]" if isinstance(doc[k], dict) else f"{k} outside a table")
                + "".join(f" (did you mean [{near}]?)" for near in
                          difflib.get_close_matches(k, list(FIELDS), n=1)) for k in unknown]
        raise _refusal(f"the mapping {path} has {', '.join(said)}: a mapping has the tables "
                       "[attendance] and [contracts] only; correct the table's name, or put "
                       "the field under the table of its kind")
    if kind not in doc:
        raise _refusal(f"the mapping {path} has no [{kind}] table, and this is an import of "
                       f"{kind}; add [{kind}] naming the export's columns (an empty one reads "
                       "each field from the column of its name)")
    table = doc[kind]
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
    columns = {f: str(doc.get(f, f)).strip() for f in FIELDS[kind] if f not in constants}
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
    if m.has("client_id") and m.has("client_hetu"):
        # (it had said "finds no column for client_id or client_hetu", both found: a hunt,
        # 2026-12-06)
        both = " and ".join(f"{f} (column {m.columns[f]!r})" if f in m.columns
                            else f"{f} (a constant)" for f in ("client_id", "client_hetu"))
        raise _refusal(f"{where} reads the client from both {both} among the export's "
                       f"columns {header}; name only the one that identifies the client in "
                       f"[{m.kind}] of a --mapping file, e.g. client_id = "
                       f"\"{m.columns.get('client_id', 'client_id')}\" (the other column is "
                       "then not read)")
    missing = [f for f in REQUIRED[m.kind] if not m.has(f)]
    if not m.has("client_id") and not m.has("client_hetu"):
        missing.append("client_id or client_hetu")
    if missing:
        raise _refusal(f"{where} finds no column for {', '.join(missing)} among the export's "
                       f"columns {header}; name them in [{m.kind}] of a --mapping file")
