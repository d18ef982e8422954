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

from schemas.errors import UsageError
from schemas.hetu import mask_codes

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


def load_mapping(kind: str, path: Path | None, header: list[str]) -> Mapping:
    doc: dict[str, object] = {}
    if path is not None:
        try:
            with open(path, "rb") as f:
                doc = tomllib.load(f).get(kind, {})
        except OSError as e:
            raise _refusal(f"cannot read the mapping {path}: {e.strerror}") from None
        except tomllib.TOMLDecodeError as e:
            raise _refusal(f"the mapping {path} is not valid TOML: {e}") from None
        if not isinstance(doc, dict):
            raise _refusal(f"{path}: [{kind}] must be a table")
    constants = doc.pop("constants", {})
    empty_is_absent = doc.pop("empty_is_absent", False)
    if not isinstance(constants, dict) or not isinstance(empty_is_absent, bool):
        raise _refusal(f"{path}: [{kind}.constants] must be a table, empty_is_absent true or "
                       "false")
    unknown = (set(doc) | set(constants)) - set(FIELDS[kind])
    if unknown:
        raise _refusal(f"{path}: unknown fields {sorted(unknown)}; the fields of {kind} are "
                       f"{', '.join(FIELDS[kind])}")
    columns = {f: str(doc.get(f, f)) for f in FIELDS[kind]
               if f not in constants and str(doc.get(f, f)) in header}
    m = Mapping(kind, columns, {k: str(v) for k, v in constants.items()}, empty_is_absent)
    _check(m, header, path)
    return m


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
