"""Finnish personal identity codes (henkilötunnus): validation, pseudonymisation, masking.

SPEC.md 1.2: a code is pseudonymised at the door and exists nowhere after it. This module is the
only place that understands the format; everything else sees `p:` pseudonyms or `******-****`.
"""

import hashlib
import hmac
import re
from datetime import date

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
           "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}
MASK = "******-****"

_FORMAT = re.compile(r"^(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-Y])$")
# Anything that looks like a code, valid or not, any case: used only to mask raw text.
_LOOSE = re.compile(r"(?i)(?<![0-9A-Za-z])\d{6}[-+a-fu-y]\d{3}[0-9a-z](?![0-9A-Za-z])")
_HETU_FIELD = re.compile(r'("client_hetu"\s*:\s*)"(?:[^"\\]|\\.)*"')


def hetu_problem(code: str) -> str | None:
    """Why `code` is not a valid identity code, or None when it is valid."""
    m = _FORMAT.match(code)
    if m is None:
        return "not of the form DDMMYYCNNNT (century sign - + A-F U-Y)"
    dd, mm, yy, sign, nnn, check = m.groups()
    if not 2 <= int(nnn) <= 999:
        return "individual number must be 002-999"
    try:
        date(CENTURY[sign] + int(yy), int(mm), int(dd))
    except ValueError:
        return "the birth date does not exist"
    if CHECK_CHARS[int(dd + mm + yy + nnn) % 31] != check:
        return "check character does not match"
    return None


def pseudonymise(code: str, key: bytes) -> str:
    """`p:` + the first 16 hex digits of HMAC-SHA256(key, code)."""
    return "p:" + hmac.new(key, code.encode("ascii"), hashlib.sha256).hexdigest()[:16]


def mask_codes(text: str) -> str:
    """Text with every identity-code-like string (and any client_hetu value) masked."""
    text = _HETU_FIELD.sub(lambda m: f'{m.group(1)}"{MASK}"', text)
    return _LOOSE.sub(MASK, text)
