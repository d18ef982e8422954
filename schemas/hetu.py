"""Finnish personal identity codes (henkilötunnus): validation, pseudonymisation, masking.

SPEC.md 1.2: a code is pseudonymised at the door and exists nowhere after it. This module is the
only place that understands the format; everything else sees `p:` pseudonyms or `******-****`.
"""

import bisect
import hashlib
import hmac
import html
import json
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from urllib.parse import unquote

from bidi import get_display

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
           "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}
MASK = "******-****"

# ASCII digits only: `\d` would take other scripts' digits, which int() reads as well. Used
# with fullmatch: a pattern's "$" lets one final "\n" through ("131052-308T\n" was taken, and
# its pseudonym made the person a second client).
_FORMAT = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})([-+A-FU-Y])([0-9]{3})([0-9A-Y])")
# Where a code can hide in a string: every place where one starts (overlapping, no boundaries, so
# a code glued to letters or digits is found too), each candidate then validated. It is matched
# as a reader may read it (attack, 2026-12-04: these were taken as valid events and shown on the
# SQL page): its letters in lower case (131052-308t), or a character of another script where a
# letter or the sign belongs (a Cyrillic Т, a Greek Τ, a heavy minus sign ➖). No table
# of look-alikes is complete, so at those two places any non-ASCII character stands in for
# whichever letter or sign would make the code valid.
_READABLE = re.compile(r"(?=([0-9]{6}(?:[-+A-FU-Ya-fu-y]|[^\x00-\x7f])[0-9]{3}"
                       r"(?:[0-9A-Ya-y]|[^\x00-\x7f])))")
# Where a code in lower case does not count: a pseudonym's or a hash's run of lower-case hex
# digits, and a lower-case UUID, hold one by chance (14 of 400,000 random p: pseudonyms did).
_LOWER_HEX = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|"
                        r"[0-9a-f]{16,}")
_CANDIDATE_TEXT = re.compile(r"(?i)[0-9]{6}[-+A-FU-Y][0-9]{3}[0-9A-Y]")
# A code as a person may type it: blanks after the day, the month or the year, after the sign
# or before the check character (`05 03 95 - 912 K`, `050395  -912K`), and a letter that reads
# as a digit: O or o for zero (also Cyrillic and Greek O), I or l for one (`O5O395-912K`,
# `l31052-308T`). A blank is any white space a page shows as a space, in any number: HTML
# folds a run of spaces, tabs, line breaks (and Unicode's line and paragraph separators) into
# one space, so `131052<4 spaces>-308T` and `131052<LF>-308T` were shown as `131052 -308T`
# (attack, 2026-12-05: taken as valid events and shown so on the SQL page, an alert's note and
# the access log). Digits are read so only where, blanks taken out and letters read as
# digits, a *valid* code is left (`_typed_code`): the places allow more than the shapes
# above, so only a valid code may count, as with the look-alikes of _READABLE. A blank is
# never the sign or the check character here, and this is narrower than _READABLE at both
# places, where the blanks make room for ordinary ids (a review, 2026-12-04,
# found `KTT 150323 – 101 – Kemi` and `KTT 010203 A 123 Oulu` dead-lettered): the sign is a
# century sign or a dash (not any non-ASCII character), the check character is ASCII, and a
# check character after a blank is a word of its own and never an O (the O of "Oulu").
# (In a dead letter's raw JSON a blank is written `\t`, `\n`, `\r` or `\f`: masking reads
# each as a blank too.)
# The cost, measured by a review: a spreadsheet row pasted into a field, its columns a date,
# a dash, a number and a digit (`01<TAB>05<TAB>23<TAB>-<TAB>200<TAB>2`), reads as a code when
# the digit happens to be the check character: 2 in 100,000 random numeric rows. The door errs
# towards the code; such a line is a dead letter that says which field to fix.
_SPACE = " \t\n\r\f\v\u00a0\u2028\u2029"
_JSON_BLANK = re.compile(r"\\[tnrf]")  # a blank as raw JSON writes it
_BLANK = rf"(?:[{_SPACE}]|{_JSON_BLANK.pattern})"
_SP = f"{_BLANK}*+"  # possessive: a run of blanks is never given back, so never re-tried
_ZEROS = "Oo\u041e\u043e\u039f\u03bf"  # Latin, Cyrillic, Greek O
_ONES = "Il\u0406\u0399\u04c0\u04cf"  # Latin I, l; Cyrillic I; Greek Iota; palochkas
_D = f"[0-9{_ZEROS}{_ONES}]"
_SIGN_TYPED = "[-+A-FU-Ya-fu-y\u2010-\u2015\u2212\ufe58\ufe63\uff0d]"
# A code-like run is not looked for from inside an escape's hex digits: `070\u2000205A934J`
# was masked as `070\u2******-****`, no longer JSON (review, 2026-12-05); the escape is read
# (mask_codes) and the code masked as seen.
_NOT_IN_ESCAPE = "".join(rf"(?<!\\{e}{'.' * n})" for e, most in (("u", 3), ("x", 1), ("U", 7))
                         for n in range(most + 1))
# Also, each a form of its own so that ordinary text is not read into one (a review,
# 2026-12-05: `Maksettu 01.01.23 – 250 e` and `Arvio 211 005 – 8 123 €` were read as codes
# when the places were loosened instead): a blank between every two characters
# (`1 3 1 0 5 2 - 3 0 8 T`), and a date's dots or slashes with nothing else between
# (`05.03.95-912K`, `05/03/95-912K`). Attack, 2026-12-05: both were taken as valid events.
_DATE_MARK = "./"
_EACH = (rf"{_D}(?:{_BLANK}++{_D}){{5}}{_SP}{_SIGN_TYPED}{_SP}{_D}(?:{_BLANK}++{_D}){{2}}"
         rf"{_BLANK}++[0-9A-NP-Ya-np-y](?![0-9A-Za-z\u00c0-\u024f])")
_DOTTED = (rf"{_D}{{2}}(?P<mark>[{_DATE_MARK}]){_D}{{2}}(?P=mark){_D}{{2}}"
           rf"{_SIGN_TYPED}{_D}{{3}}[0-9A-Ya-y](?![0-9A-Za-z])")
# The date's six digits may have blanks anywhere between them (`070 205A934J`: a review found
# it taken), the individual number's three none (`Arvio 211 005 – 8 123 €` is no code); never
# from inside an escape's hex digits (`\u1012.99-9123` was masked into `\u******-****`, no
# longer JSON: review, 2026-12-05). Searched, not a lookahead at every place: twice as fast
# (see `_typed_codes`).
_TYPED = re.compile(rf"{_NOT_IN_ESCAPE}(?:"
                    rf"{_D}(?:{_SP}{_D}){{5}}{_SP}{_SIGN_TYPED}{_SP}{_D}{{3}}"
                    rf"(?:[0-9A-Ya-y]|{_BLANK}++[0-9A-NP-Ya-np-y]"
                    r"(?![0-9A-Za-z\u00c0-\u024f]))"
                    rf"|{_EACH}|{_DOTTED})")
# A code written as people write dates and numbers, not as the standard lays it out (hunts,
# 2026-12-06; each was taken as a valid event): the date's day and month unpadded, with
# dots, slashes, dashes, commas, colons, underscores or blanks for marks (`5.3.95-912K`,
# `05-03-95-912K`, `5. 3. 95-912K`, `05 03 95 912K`), or a four-digit year (`13.10.1952-308T`,
# `13101952-308T`); in the sign's place a blank, a line break, another mark or nothing
# (`131052 308T`, `131052_308T`, `131052308T`), blanks around it (`13.10.52 - 308T`); a mark
# before the check character (`050395-912-K`). The check character is always glued to what
# comes before it (a word after an amount, `01.01.23 - 250 e`, is none: a review,
# 2026-12-05). Judged apart from _TYPED (the parts are put together, not only their blanks
# dropped), and only where something in it is not the standard's form: a plain code is
# has_code's. Glued to other text as a plain code is found (`x05-03-95-912K` was taken, and
# left readable in dead letters: a fuzz, 2026-12-06), except to digits where no mark sets the
# date apart (a longer number). A date with marks starts no escape (`\\u05-03-95-912K` shows
# its code): only a digit that would end one is skipped.
# The dashes a reader takes for a hyphen (read as one in `visible`, and a mark here)
UNICODE_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_DASH_CLASS = "\\-" + UNICODE_DASHES  # a regex class's dashes
# A date's dot as a reader takes it: a middle dot, a bullet, a one-dot leader, a dot
# operator (`05·03·95-912K` was taken: an attack, 2026-12-07)
_DOT_LIKE = "\u00b7\u2022\u2024\u2027\u2219\u22c5\u30fb\uff65"
_MARK = rf"[./,:_{_DOT_LIKE}{_DASH_CLASS}]|{_BLANK}+"
# Any ASCII mark in the sign's place or before the check character (`050395;912K`,
# `050395-912,K`): a list of some of them let the others through (an attack, 2026-12-07)
_ASCII_MARK = "[" + re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + "]"
# After the sign, more marks (`050395--912K`, `050395 - - 912K`: an attack, 2026-12-07); and
# blanks between a date's day, month and year without marks (`1310 52 308T`, `0503 95 912K`)
_MARKS_MORE = rf"(?:{_ASCII_MARK}|[{UNICODE_DASHES}])"
_IN_AN_ESCAPE = re.compile(r"(?:\\u[0-9A-Fa-f]{3}|\\x[0-9A-Fa-f]|\\U[0-9A-Fa-f]{7})\Z")
_IN_ESCAPE_HEX = re.compile(r"(?:\\u.{0,3}|\\x.?|\\U.{0,7})\Z", re.S)
_DATED = re.compile(  # the escapes before a match are looked at after it (`_escaped`): cheaper
    rf"(?:(?P<d1>{_D}{{1,2}})(?P<mark>{_MARK}){_SP}(?P<m1>{_D}{{1,2}})"
    rf"(?P=mark){_SP}"
    rf"|(?<![0-9])(?P<d2>{_D}{{2}}){_SP}(?P<m2>{_D}{{2}}){_SP})"
    rf"(?P<cc>1[89]|20)?(?P<yy>{_D}{{2}})"
    rf"(?:{_SP}(?P<sign>(?:{_SIGN_TYPED}|{_ASCII_MARK})(?:{_SP}{_MARKS_MORE})*){_SP}"
    rf"|(?P<blank>{_BLANK}+))?"
    rf"(?P<nnn>{_D}{{3}})(?:{_SP}(?P<dash>{_ASCII_MARK}|[{UNICODE_DASHES}]))?(?P<check>[0-9A-Ya-y])"
    # digits glued after a check digit: a longer number where no mark or sign sets the
    # parts apart (after a check letter, another code may follow: `131052308T05-03-...`)
    rf"(?(mark)|(?(sign)|(?:(?<=[A-Ya-y])|(?![0-9]))))")
# An ISO date-time (the forms the model takes for `occurred_at`, and DuckDB's own) is no
# place for a code: its time of day reads as one with a date's marks, the hours a day, the
# minutes a month, the seconds a year, the fraction's digits the number and the check
# character (`2019-05-08T10:05:03.023012+02:00` as 100503.0230). About one timestamp with
# microseconds in 170 read so, and the door refused such an event as
# identity_code_in_occurred_at whenever anything else in its line made it look closer (a
# code-shaped event id does in one line of twenty; a comma before the fraction always did),
# and masked the time on the SQL page: found by a profile, 2026-12-07. A _DATED match wholly
# inside one is none; a bare time (`klo 10:05:03.0230`) is still read.
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}"
                    r"(?:[.,][0-9]+)?)?(?:[Zz]|[-+][0-9]{2}(?::?[0-9]{2})?)?")
_NO_DIGIT_LIKE = str.maketrans("", "", "0123456789" + _ZEROS + _ONES)
_CENTURY_SIGN = {"18": "+", "19": "-", "20": "A"}
_NO_SPACE = str.maketrans("", "", _SPACE + _DATE_MARK)
_AS_DIGIT = str.maketrans({**{c: "0" for c in _ZEROS}, **{c: "1" for c in _ONES}})
_ZERO = str.maketrans({c: "0" for c in _ZEROS})
# What makes a string worth the typed search: a blank (or a JSON escape of one) or a letter
# that reads as a digit
_TYPED_TRIGGERS = (*_SPACE, *_ZEROS, *_ONES, "\\", *_DATE_MARK)

# Masking works on raw text, which may be JSON with escapes: each character of a code may be
# written as itself or as a \u00XX escape (`240399\u002d957A`). Anything code-shaped is masked,
# valid or not, any case, glued to other text or not.
_DIGIT = r"(?:[0-9]|\\u003[0-9])"
# As a letter or the sign, any non-ASCII character or escape: see _READABLE.
_SIGN = r"(?:[-+A-Fa-fU-Yu-y]|[^\x00-\x7f]|\\u[0-9A-Fa-f]{4})"
_CHECK = r"(?:[0-9A-Za-z]|[^\x00-\x7f]|\\u[0-9A-Fa-f]{4})"
_LOOSE = re.compile(rf"{_DIGIT}{{6}}{_SIGN}{_DIGIT}{{3}}{_CHECK}")
# A UUID (an event id) is hex, and a tenth of random ones hold something code-shaped: inside one,
# only a valid code is masked, so that the event ids of dead letters stay readable. So too in a
# run of 16 or more lower-case hex digits (the dashboard's references: one in 20 held a shape)
# that no sign follows (a code may start inside the run: 0123456789abcdef131052-308T).
_UUID_OR_LOOSE = re.compile(
    r"(?<![0-9A-Za-z])([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    rf"[0-9a-fA-F]{{12}}(?![0-9A-Za-z])|[0-9a-f]{{16,}}(?![-+0-9A-Za-z]))"
    rf"|{_NOT_IN_ESCAPE}{_LOOSE.pattern}")
# A JSON string, and a key followed by its string value: the key is unescaped before it is
# compared, so `client\u005fhetu` is found as well.
# Read as tokens, left to right: a string, an escape outside one, or a run of anything else.
# A string is never started at an escaped quote, so a line of backslashes and quotes (no
# JSON) is read once: a bare string pattern, tried at every quote, was quadratic (review,
# 2026-12-05: 21.7 s for 80 KB, reached by a dead letter's masking).
_STRING = r'"(?:[^"\\]++|\\.)*+"'
_KEY_VALUE = re.compile(rf'({_STRING})(?:(\s*:\s*)({_STRING}))?|\\.|[^"\\]++')


def hetu_problem(code: str) -> str | None:
    """Why `code` is not a valid identity code, or None when it is valid."""
    m = _FORMAT.fullmatch(code)
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


def has_code(text: str) -> bool:
    """Whether a valid identity code occurs anywhere in `text` (glued to other text or not),
    as written or as a reader may read it: see _READABLE and _LOWER_HEX, and typed with spaces
    inside or O for 0: see _TYPED."""
    if len(text) < 10:  # a code with nothing in its sign's place is 10 characters
        return False
    # the hex runs, found once a lower-case code needs them (_within: by bisection, as
    # looking through all of them for every place was quadratic: 7.7 s for one 320 KB field
    # of lower-case codes in hex runs, attack, 2026-12-05)
    hex_runs: list[tuple[int, int]] | None = None
    for m in _READABLE.finditer(text):
        code = m.group(1)
        if not code.isascii():
            if _stands_for_a_code(code):
                return True
            continue
        if hetu_problem(code.upper()) is not None:
            continue
        if code == code.upper():  # valid as written: anywhere
            return True
        if hex_runs is None:
            hex_runs = [r.span() for r in _LOWER_HEX.finditer(text)]
        if not _within(hex_runs, m.start(), m.start() + 11):  # in no run: a code
            return True
    return _typed_codes(text) is not None


def _typed_codes(text: str) -> list[tuple[int, int]] | None:
    """The spans of the valid codes in `text` written with blanks inside or letters for
    digits (_TYPED), or with a date's own marks (_DATED), in order, or None when there is
    none. Every place where one starts is tried (overlapping, as _READABLE does), but only
    text with a blank, a backslash, such a letter or a mark pays for the first search, and
    only text of seven digits or more for the second."""
    spans: list[tuple[int, int]] = []
    if any(c in text for c in _TYPED_TRIGGERS):
        m = _TYPED.search(text)
        while m is not None:
            if _typed_code(m.group()):
                spans.append(m.span())
            m = _TYPED.search(text, m.start() + 1)
    # seven digits (or look-alikes) at the least, counted by a translation in C: most text
    # a page or a line holds has fewer, and the search cost every text twice its door's time
    if digit_like(text) >= 7:
        hex_runs: list[tuple[int, int]] | None = None
        stamps: list[tuple[int, int]] | None = None
        d = _DATED.search(text)
        while d is not None:
            # none in a pseudonym's or a UUID's hex, as a lower-case plain code is none
            # (`p:a0601644645a71f0` held `0601644645` by chance)
            in_hex = not d.group().strip("0123456789abcdef")
            if in_hex and hex_runs is None:
                hex_runs = [r.span() for r in _LOWER_HEX.finditer(text)]
            if _dated_code(d) and not _escaped(text, d) and not (
                    in_hex and _within(hex_runs or [], d.start(), d.end())):
                if stamps is None:  # rare: only once a match reads as a valid code
                    stamps = [r.span() for r in _STAMP.finditer(text)]
                if not _within(stamps, d.start(), d.end()):
                    spans.append(d.span())
            d = _DATED.search(text, d.start() + 1)
        spans.sort()
    return spans or None


def _within(runs: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) lies inside one of `runs` (in order, not overlapping: finditer's
    spans), found by bisection. Looking through every run for every match was quadratic: a
    field of 16,000 timestamps (448 KB, on the SQL page or in a log) took 11 s to judge."""
    i = bisect.bisect_right(runs, start, key=lambda run: run[0]) - 1
    return i >= 0 and runs[i][1] >= end


def digit_like(text: str) -> int:
    """How many characters of `text` are digits or letters read as digits (O, I, l and their
    look-alikes in other scripts): seven at the least make a code however it is written
    (`5.3.95-912K`). Counted by a translation in C."""
    return len(text) - len(text.translate(_NO_DIGIT_LIKE))


def _escaped(text: str, m: re.Match[str]) -> bool:
    """Whether a _DATED match starts inside an escape's hex digits: a date with marks only
    where its first digit would end one, the others anywhere in one (as _NOT_IN_ESCAPE)."""
    before = text[max(0, m.start() - 9):m.start()]
    if "\\" not in before:
        return False
    tail = _IN_AN_ESCAPE if m.group("mark") is not None else _IN_ESCAPE_HEX
    return tail.search(before) is not None


def _dated_code(m: re.Match[str]) -> bool:
    """Whether a _DATED match is a valid code not in the standard's plain form: its day and
    month padded with zeros, its marks and blanks dropped, letters read as digits; the
    century from a four-digit year or from the sign, and where neither says it, any."""
    g = m.groupdict()
    plain = (g["mark"] is None and g["cc"] is None and g["dash"] is None and g["blank"] is None
             and g["sign"] is not None and g["sign"].upper() in CENTURY
             and len(m.group()) == 11)
    if plain and m.group().isascii():
        return False  # the standard's form: has_code's
    day, month = (g["d1"], g["m1"]) if g["mark"] is not None else (g["d2"], g["m2"])
    sign = g["sign"] or ""
    if g["cc"] is not None:
        sign = _CENTURY_SIGN[g["cc"]]
    elif sign.upper() not in CENTURY:
        sign = "\u2015"  # any century (_stands_for_a_code reads a non-ASCII sign so)
    code = (day.rjust(2, "0") + month.rjust(2, "0") + g["yy"]).translate(_AS_DIGIT) + sign + \
        g["nnn"].translate(_AS_DIGIT) + g["check"].translate(_ZERO)
    if not code.isascii():
        return _stands_for_a_code(code)
    return hetu_problem(code.upper()) is None


def _typed_code(written: str) -> bool:
    """Whether a _TYPED match is a valid code, blanks taken out and letters read as digits.
    Only a form with a blank or such a letter counts here: `has_code` has judged the others
    (a lower-case code in a hex run is none); with either, no hex run or UUID holds it. The
    check character is read as a digit only for an O (an l there may be the letter L)."""
    code = _JSON_BLANK.sub("", written).translate(_NO_SPACE)
    digits = code[:6].translate(_AS_DIGIT) + code[6] + code[7:10].translate(_AS_DIGIT) + \
        code[10:].translate(_ZERO)
    if code == written and digits == code:
        return False
    code = digits
    if not code.isascii():
        return _stands_for_a_code(code)
    return hetu_problem(code.upper()) is None


def _stands_for_a_code(code: str) -> bool:
    """Whether a code-shaped string with non-ASCII characters as its sign or its check
    character could be a valid code read with the right letters in their place."""
    dd, mm, yy, sign, nnn, check = code[:2], code[2:4], code[4:6], code[6], code[7:10], code[10]
    if not 2 <= int(nnn) <= 999:
        return False
    if check.isascii() and CHECK_CHARS[int(dd + mm + yy + nnn) % 31] != check.upper():
        return False
    centuries = {CENTURY[sign.upper()]} if sign.isascii() else set(CENTURY.values())
    for century in centuries:
        try:
            date(century + int(yy), int(mm), int(dd))
        except ValueError:
            continue
        return True
    return False


def _unescaped(key: str) -> str | None:
    try:
        value = json.loads(key)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _mask_hetu_value(m: re.Match[str]) -> str:
    if m.group(3) is not None and _unescaped(m.group(1)) == "client_hetu":
        return f'{m.group(1)}{m.group(2)}"{MASK}"'
    return m.group(0)


def mask_codes(text: str) -> str:
    """Text with every identity-code-like string (and any client_hetu value) masked, also
    where a reader would see one that the bytes hide: see `visible`."""
    # Again while a pass masked something and a valid code is still read: a mask un-glues
    # what was beside it (a code glued to digits is no code, `231202-9943131052308T`), and
    # its marks can stand between the digits left around it (`5-9-16******-****1991`): a
    # fuzz (2026-12-07) found both kept readable by a single pass. Text with no code costs
    # one pass, as before; and a UUID's shape beside a mask is no code (its zeros stay).
    for _ in range(MASK_PASSES):
        masked = _mask_codes(text)
        if "\\" in masked:  # a JSON string may hold escapes written out as text: read them too
            masked = _STRING_RE.sub(_mask_string_deep, masked)
        if masked == text or not _still_coded(masked):
            break
        text = masked
    return masked


def _still_coded(text: str) -> bool:
    from schemas.door import seen_code  # the door's reading (it imports this module)

    return seen_code(text)


MASK_PASSES = 4


_STRING_RE = re.compile(rf'{_STRING}|\\.|[^"\\]++')  # the tokens, as _KEY_VALUE reads them
_ESCAPED_BACKSLASH = re.compile(r"\\\\|\\u005[cC]")


def _mask_string_deep(m: re.Match[str]) -> str:
    """A JSON string token, masked whole when its text holds a code as seen_forms reads it
    (escapes written out in it read too: `"0503\\\\u200b95-912K"` in a dead letter's line,
    the text the door refused, review 2026-12-05); the line stays JSON."""
    token = m.group(0)
    # only a string whose text holds a backslash itself (written `\\\\` or `\\u005c`): the
    # other escapes _mask_codes has read already
    if not token.startswith('"') or not _ESCAPED_BACKSLASH.search(token):
        return token
    value = _string_value(token)
    if value is not None and any(map(has_code, seen_forms(value))):
        return f'"{MASK}"'
    return token


def _string_value(token: str) -> str | None:
    """The text of a JSON string token, or None where it is no string or too short to hold
    a code however it is read."""
    try:
        value = json.loads(token)
    except ValueError:
        return None
    return value if isinstance(value, str) and not too_short(value) else None


def _mask_codes(text: str) -> str:
    """`_mask_first`, or the text as seen with its codes masked where that leaves fewer digits
    readable: a code-shaped run that is none, masked first, cut through the layers of a code
    escaped deeper (`050395%25252525252D912K` kept as `050395%25252******-****`, its date
    shown: a hunt, 2026-12-06)."""
    special = ("\\" in text or "%" in text or "&" in text
               or _HIDDEN.search(text) is not None)
    json_text = text.lstrip().startswith(("{", "["))
    if special and json_text:
        # a JSON line (a dead letter's): each string whose code shows only as seen is masked
        # whole, so the line stays the JSON it was
        text = _STRING_RE.sub(_mask_string_as_seen, text)
    masked = _mask_first(text)
    if masked != text and special and not json_text:
        seen = _masked_as_seen(_masked_backwards(text))
        if seen is not None and _digits(_all_undone(seen)) < _digits(_all_undone(masked)):
            return seen
    return masked


def _mask_string_as_seen(m: re.Match[str]) -> str:
    """A JSON string token, masked whole when its text holds a code only as a reader sees it,
    or holds one as written and an escape: one as written in a string of no escape
    `_mask_first` masks where it is, the text around it kept. With an escape, the line's
    reading undid escapes the string's own escaped backslash had kept as text (`\\\\u002d`
    became `\\-`, no longer JSON: a fuzz of dead letters, 2026-12-06)."""
    token = m.group(0)
    if not token.startswith('"') or (seen_as_written(token) and not any(
            c in token for c in "\\%&")):
        return token
    value = _string_value(token)
    if value is None:
        return token
    if has_code(value):
        return f'"{MASK}"' if "\\" in token else token
    if any(map(has_code, seen_forms(value))):
        return f'"{MASK}"'
    return token


def too_short(text: str) -> bool:
    """Whether `text` is too short to hold a code however it is read: no reading makes it
    longer than its compatibility form (an escape is longer than what it stands for, and a
    mark or a look-alike one character for one) and a code is 10 characters at the least
    (with nothing in its sign's place, `131052308T`)."""
    return len(text) < 10 and len(unicodedata.normalize("NFKC", text)) < 10


def _digits(text: str) -> int:
    """The digits of `text` (counted as read: an escape's digits are none a reader sees)."""
    return sum(c.isdigit() for c in text)


def _mask_first(text: str) -> str:
    masked = _masked(text)
    if "\\" in masked:
        # Escapes written out as text (JSON's \u200b, Python's repr of a list or of an
        # argument: \xad, \x00, \U000e0100): a reader reads the code around them. Attack,
        # 2026-12-04: an import's message printed ['0102\u200b03-912E', ...] to stderr.
        unescaped = _ESCAPE.sub(_unescape_one, masked)
        if unescaped != masked:
            # an override's codes first, where they are; then any other code hidden (review,
            # 2026-12-05: returning after the first left a zero-width-spaced one readable)
            backwards = _masked_backwards(unescaped)
            again = _masked_as_seen(backwards)
            if again is not None:
                return again
            if backwards != unescaped:  # the controls kept for seen_forms written as JSON does
                return backwards.translate(_TERMINAL_CONTROLS)
    if _HIDDEN.search(masked) is None and "%" not in masked and "&" not in masked:
        return masked  # printable ASCII, no escape a system reads back: seen as it is
    masked = _masked_backwards(masked)
    # A code only the reader's eye puts together (a UTF-16 line's NULs between its letters,
    # a zero-width space or a soft hyphen inside it, full-width digits, a Unicode dash, a
    # right-to-left override): the text is kept as it is seen, with that code masked.
    again = _masked_as_seen(masked)
    return masked if again is None else again


def _masked_as_seen(text: str) -> str | None:
    """`text` as a reader sees it with its codes masked, or None when what is seen has none.
    Of the forms with a code masked, the one that leaves the fewest digits readable (the
    first of those): a form nearer the written text may hold a code-like run that is none
    and show the real code's date beside its mask (`050395%2525252D912K`: a code two layers
    of escapes down, its date shown, a review, 2026-12-06)."""
    best: tuple[int, str] | None = None
    for seen in seen_forms(text):
        again = _masked(seen)
        if again != seen:
            left = _digits(again)
            if best is None or left < best[0]:
                best = (left, again)
    return None if best is None else best[1]


# The readings of one text looked at (each a decoding of another, see seen_forms)
MAX_READINGS = 32


def seen_forms(text: str) -> list[str]:
    """The ways a reader may see `text`: `visible`, with a right-to-left override in it also
    as it shows it (see bidi_forms), and with an escape sequence or a backspace in it also
    as a terminal shows it (see terminal_form); and so for each reading of it that undoes an
    escape written out as text or an encoding a system would read back (`_readings`)."""
    forms: list[str] = []
    for reading in _readings(text):
        looks = look_alike_form(reading)
        for form in (visible(reading), *(visible(f) for f in bidi_forms(reading)),
                     *((visible(terminal_form(reading)),)
                       if "\x1b" in reading or "\b" in reading else ()),
                     *((visible(looks),) if looks is not None else ())):
            if form not in forms:
                forms.append(form)
    return forms


def _readings(text: str) -> list[str]:
    """`text`, and the texts it reads as once escapes written out as text (`0503\u200b95-912K`:
    read as the masking reads them, so what it would mask in a message the door does not take;
    attack, 2026-12-05) or encodings (`_decoded`) are undone, one or more layers, in any
    order: each distinct reading once, nearest first, at most MAX_READINGS of them. (Each
    reading its decodings again, without remembering, made a text of layers of '%25' and
    '&amp;' cost 4 times more with each layer: 21 s for 72 characters, a review, 2026-12-06.
    No system reads back 31 layers of escapes.)"""
    out, todo = [text], [text]
    whole = _all_undone(text)
    if whole != text:  # every layer at once: decoys for the other decodings cannot use up
        out.append(whole)  # the readings before the code's layers are reached (a hunt)
    while todo and len(out) < MAX_READINGS:
        for got in _undone(todo.pop(0)):
            if got not in out and len(out) < MAX_READINGS:
                out.append(got)
                todo.append(got)
    return out


# The layers `_all_undone` takes off at most: each takes one of every decoding at once
MAX_LAYERS = 64


def _all_undone(text: str) -> str:
    """`text` with every escape and encoding undone, layer after layer, until none is left
    (or MAX_LAYERS): `%25252541 &amp;amp;lt; 050395%25252525252D912K` spent the readings of
    `_readings` on the decoys' layers and kept its code (a hunt, 2026-12-06)."""
    for _ in range(MAX_LAYERS):
        got = _ESCAPE.sub(_unescape_one, text) if "\\" in text else text
        if "%" in got:
            got = unquote(got, errors="replace")
        if "&" in got:
            got = html.unescape(got)
        if not got.isascii():
            got = _utf8_read_back(got)
        if got == text:
            break
        text = got
    return text


def _undone(text: str) -> list[str]:
    """The texts one layer of escapes or encoding undone makes of `text` (those that differ)."""
    out = []
    if "\\" in text:
        unescaped = _ESCAPE.sub(_unescape_one, text)
        if unescaped != text:
            out.append(unescaped)
    return out + [got for got in _decoded(text) if got not in out]


def _decoded(text: str) -> list[str]:
    """`text` as the systems it passed through would read it back, where that differs: its
    URL escapes decoded (`050395%2D912K`), its HTML character references (`050395&#45;912K`),
    and UTF-8 read as Windows-1252 read back (`050395â€“912K`, an en dash's bytes). Each was
    taken as an event's value and stored readable (a hunt, 2026-12-06)."""
    out = []
    if "%" in text:
        out.append(unquote(text, errors="replace"))
    if "&" in text:
        out.append(html.unescape(text))
    if not text.isascii():
        out.append(_utf8_read_back(text))
    return [form for form in out if form != text]


_NOT_UTF8 = re.compile("[\udc80-\udcff]")
# UTF-8's bytes as Windows-1252 shows them: a lead byte (0xC2-0xF4, the same code points),
# then one to three continuation bytes (0x80-0xBF: Windows-1252's own characters for 0x80-0x9F)
_CONTINUATION = "".join(sorted({bytes((b,)).decode("cp1252", "ignore") for b in range(0x80, 0xc0)}
                               - {""}))
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{re.escape(_CONTINUATION)}]{{1,3}}")


def _utf8_read_back(text: str) -> str:
    """`text` with its UTF-8 read as Windows-1252 read back as UTF-8, sequence by sequence:
    each lead and its continuation characters decoded where they are UTF-8, any other
    character kept. Read all or nothing, one `ä` beside the code (or a character
    Windows-1252 lacks) kept `050395â€“912K` as it was (a hunt, 2026-12-06)."""
    return _MOJIBAKE.sub(_read_back_one, text) if not text.isascii() else text


def _read_back_one(m: re.Match[str]) -> str:
    got = m.group().encode("cp1252").decode("utf-8", "surrogateescape")
    # a byte that is no UTF-8 there (a lead and one continuation too many) is its character
    return _NOT_UTF8.sub(lambda b: bytes((ord(b.group()) - 0xdc00,)).decode("cp1252"), got)


# A terminal (`jatkumo sql --csv`, a log read in a shell) runs escape sequences and backspaces
# instead of showing them: `070205\x1b[0mA934J` (a colour reset inside) and `070205X\bA934J`
# (X struck over) both show as 070205A934J (review, 2026-12-05: taken as valid events).
# Sequences: CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ESC \), and ESC with one more
# character.
_TERMINAL_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                                r"|\x1b[ -~]?")


def terminal_form(text: str) -> str:
    """`text` as a terminal shows it: escape sequences run (they show nothing), and a
    backspace takes the character before it back (the next one is written over it)."""
    out: list[str] = []
    for c in _TERMINAL_SEQUENCE.sub("", text):
        if c == "\b":
            if out:
                out.pop()
        else:
            out.append(c)
    return "".join(out)


# Bidirectional controls: a right-to-left override (RLO) shows what follows it backwards, so
# `\u202eT803-250131` shows as 131052-308T, while `visible` (which drops the control as a
# format character) left T803-250131, no code (attack, 2026-12-05: taken, and shown as a code
# on the case worker's timeline). Only the override turns letters and digits round: an
# embedding, an isolate or a mark leaves them in their order (review, 2026-12-05: reading
# those backwards too refused ids shown as they are, and masked pieces of event ids).
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_RLO = "\u202e"
_OPEN = frozenset("\u202a\u202b\u202d\u202e\u2066\u2067\u2068")
_CLOSE = frozenset("\u202c\u2069")  # PDF, PDI
_RUN_END = frozenset('"\n\r\u2029')  # a JSON string's end; a paragraph's


def _rtl_runs(text: str) -> list[tuple[int, int]]:
    """The spans of the overridden runs of `text`: from after an RLO to its closing (PDF,
    PDI), a double quote, a line's end or the text's, nested openings inside. (A renderer's
    run goes on past a quote; but a line of JSON is also read string by string, and a dead
    letter's value shown alone ends at its quote.)"""
    runs: list[tuple[int, int]] = []
    depth, start = 0, 0
    for i, c in enumerate(text):
        if depth:
            if c in _OPEN:
                depth += 1
            elif c in _RUN_END:
                depth = 0
                runs.append((start, i))
            elif c in _CLOSE:
                depth -= 1
                if not depth:
                    runs.append((start, i))
        elif c == _RLO:
            depth, start = 1, i + 1
    if depth:
        runs.append((start, len(text)))
    return runs


def _runs_turned(text: str, turn: Callable[[str], str]) -> str:
    """`text` with `turn` done to each overridden run."""
    out, at = [], 0
    for a, b in _rtl_runs(text):
        out += [text[at:a], turn(text[a:b])]
        at = b
    return "".join(out) + text[at:]


# Bidirectional classes that make a browser reorder a run of text: right-to-left letters and
# marks, Arabic letters and digits, right-to-left embeddings, overrides and isolates
_RTL_CLASSES = frozenset(("R", "AL", "AN", "RLE", "RLO", "RLI"))
_SURROGATE = re.compile("[\ud800-\udfff]")


def bidi_forms(text: str) -> list[str]:
    """`text` with right-to-left characters in it as a reader sees it: laid out by the Unicode
    bidirectional algorithm in a left-to-right and in a right-to-left paragraph (python-bidi),
    and with a right-to-left override, also each overridden run backwards as a JSON string
    ends it (see _rtl_runs); the controls dropped. [] when there is none. Marks alone put
    runs of digits in another order: `\u200f308\u200f-\u200f131052\u200fT` shows as
    131052-308T (a hunt, 2026-12-06: taken, and shown so on the SQL page)."""
    if text.isascii() or not any(unicodedata.bidirectional(c) in _RTL_CLASSES
                                 for c in text if not c.isascii()):
        return []
    forms = [_BIDI.sub("", _runs_turned(text, lambda run: run[::-1]))] if _RLO in text else []
    whole = _SURROGATE.sub("\ufffd", text)  # no half of a pair is text to lay out
    for direction in ("L", "R"):
        laid_out: str = get_display(whole, base_dir=direction)
        form = _BIDI.sub("", laid_out)
        if form not in forms:
            forms.append(form)
    return forms


def _masked_backwards(text: str) -> str:
    """`text` with the codes masked that its overridden runs hold written backwards; the text
    keeps its order and its controls (a dead letter's line stays the JSON it was)."""
    if _RLO not in text:
        return text
    return _runs_turned(text, lambda run: _masked(run[::-1])[::-1])


# Escapes: \u, \x and \U, and JSON's short escape of a backspace, \b (`070205\bA934J` in a
# dead letter's line reads as the code: attack, 2026-12-05). A pair of surrogates, as JSON
# writes a character beyond the BMP (a tag character, an unassigned default-ignorable one),
# is that one character: read half by half it was two U+FFFD, and the code around it stayed
# in the dead letter (review, 2026-12-05).
_ESCAPE = re.compile(r"\\u([dD][89abAB][0-9A-Fa-f]{2})\\u([dD][c-fC-F][0-9A-Fa-f]{2})"
                     r"|\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|U([0-9A-Fa-f]{8})|(b)|(/))")


_SHORT = {0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}
# The controls a terminal runs (an escape sequence, its BEL terminator, a backspace): kept as
# they are when escapes are read, for seen_forms, and written as JSON writes them again
_TERMINAL_CONTROLS = {0x07: "\\u0007", 0x08: "\\b", 0x1B: "\\u001b"}


def _unescape_one(m: re.Match[str]) -> str:
    if m.group(1):  # a surrogate pair: one character beyond the BMP
        return chr(0x10000 + ((int(m.group(1), 16) - 0xD800) << 10) + int(m.group(2), 16)
                   - 0xDC00)
    if m.group(6):
        return "\b"  # JSON's backspace: as a terminal runs it (seen_forms)
    if m.group(7):  # JSON's escaped solidus (`05\/03\/95-912K` stayed in a dead letter: a
        return "/"  # hunt, 2026-12-06); JSON takes a plain one too
    code = int(m.group(3) or m.group(4) or m.group(5), 16)
    if 0xD800 <= code <= 0xDFFF:  # half of a pair: no text, and no UTF-8 writer takes one
        return "\ufffd"  # (a dead letter whose escapes held a code crashed a replay: review)
    # What JSON must escape stays escaped, so a masked line is still the JSON it was (review,
    # 2026-12-05: a \u0022 or \u000a written out broke it): a blank as its short escape
    # (read as a blank, _BLANK), another control as nothing (it shows nothing), a quote and
    # a backslash as written (neither is part of a code)
    if code < 0x20:  # (kept: what a terminal runs, seen_forms)
        return _SHORT.get(code, chr(code) if code in _TERMINAL_CONTROLS else "")
    if code in (0x22, 0x5C):
        return m.group(0)
    return chr(code) if code <= 0x10FFFF else m.group(0)


def _masked(text: str) -> str:
    if "hetu" in text or "\\u" in text:  # the key, possibly escaped
        text = _KEY_VALUE.sub(_mask_hetu_value, text)
    # A valid code typed with spaces or O for 0 first, whole (the shapes below would mask
    # only the part before a no-break space at the check character's place).
    typed = _typed_codes(text)
    if typed is not None:
        parts, end = [], 0
        for a, b in typed:
            if a >= end:
                parts.append(text[end:a])
                parts.append(MASK)
            end = max(end, b)
        text = "".join(parts) + text[end:]
    return _UUID_OR_LOOSE.sub(_mask_loose, text)


# Anything but printable ASCII, tab, line breaks and the Latin-1 letters of Finnish and
# Swedish text (which NFKC leaves as they are): the case for a closer look, so a line of
# ordinary Finnish pays nothing more.
_HIDDEN = re.compile(r"[^\t\n\r\x20-\x7e\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]")


def seen_as_written(text: str) -> bool:
    """Whether a reader sees `text` as it is written: printable ASCII, blanks and the Latin-1
    letters of Finnish and Swedish only (no control, nothing that shows nothing, no other
    script's digits or dashes)."""
    return _HIDDEN.search(text) is None


# Characters that show nothing beyond Cc and Cf (Unicode's Default_Ignorable_Code_Point:
# variation selectors, the combining grapheme joiner, Hangul fillers, Mongolian selectors),
# and the Braille blank, which renders as a space-less nothing in most fonts. And U+FFFD, the
# replacement character: bytes that are not UTF-8 become one each when a dead letter's raw
# text is made readable, and a reader reads the code around it (`131052\ufffd-308T`: kept
# unmasked in dead letters, a hunt, 2026-12-06).
# (as ranges of code points: services/csvsafe.py counts the same ones as blank before a formula)
IGNORABLE_RANGES = ((0x34f, 0x34f), (0x115f, 0x1160), (0x17b4, 0x17b5), (0x180b, 0x180f),
                    (0x2800, 0x2800), (0x3164, 0x3164), (0xfe00, 0xfe0f), (0xffa0, 0xffa0),
                    (0xfffd, 0xfffd), (0xe0100, 0xe01ef))
_IGNORABLE = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in IGNORABLE_RANGES)
                        + "]")
# Categories dropped from what a reader is taken to see: controls and format characters
# (show nothing), unassigned code points (Unicode asks renderers to show the
# default-ignorable ones among them as nothing: U+2065, U+FFF0-FFF8, U+E0080...), and
# combining marks left after NFKC (an underline, an accent or an enclosing circle on each
# digit of a code leaves the code as plain to the eye: an attack, 2026-12-04). Letters of
# Finnish and Swedish text are precomposed by NFKC, so no letter of theirs is dropped.
_UNSEEN = frozenset(("Cc", "Cf", "Cn", "Cs", "Mn", "Me", "Mc"))
_DASHES = str.maketrans({c: "-" for c in UNICODE_DASHES})
_KEEP = frozenset("\t\n\r")


def visible(text: str) -> str:
    """`text` as a reader sees it: compatibility forms folded (NFKC: full-width letters and
    digits), characters that show nothing dropped (controls such as NUL and DEL, format
    characters such as zero-width spaces and soft hyphens, variation selectors and other
    default-ignorable ones, unassigned code points), combining marks dropped (an accented or
    underlined digit reads as the digit), dashes read as '-', and other scripts' decimal
    digits as ASCII ones."""
    folded = _IGNORABLE.sub("", unicodedata.normalize("NFKC", text).translate(_DASHES))
    out = []
    for c in folded:
        if c.isascii():
            if " " <= c < "\x7f" or c in _KEEP:  # not DEL, which shows nothing either
                out.append(c)
            elif c in "\x0b\x0c":  # a vertical tab, a form feed: blanks to a page (and to
                out.append(" ")  # the masking, _SPACE: review, 2026-12-05)
        elif (kind := unicodedata.category(c)) == "Zs":
            # a space is a space: NFKC folds most (thin, ideographic...), not all (the Ogham
            # space mark U+1680 between a code's parts: attack, 2026-12-05)
            out.append(" ")
        elif kind not in _UNSEEN:
            # a digit by its value: another script's decimal digit, and a digit NFKC leaves
            # as it is, circled or in a keycap (`❶❷❶❶❾❺-❾❶❷J` was taken and stored: a hunt,
            # 2026-12-06)
            out.append(str(unicodedata.digit(c)) if c.isdigit() else c)
    return "".join(out)


# Characters that look like a digit without being one (or being another: the Bengali four
# looks like an 8), from Unicode's confusables (confusables.txt, UTS #39: the non-ASCII
# characters whose skeleton is the digit, or O or l for 0 and 1, that NFKC does not fold to
# ASCII), and the Cyrillic small ze. `131052-З08T` with a Cyrillic Ze, `131052-3օ8T` with an
# Armenian oh and `ǀ31052-308T` with a dental click were taken as events and shown as codes
# on the SQL page (a hunt, 2026-12-06). A reader reads them as the digit they look like:
# `seen_forms` reads text with any of them that way too (`look_alike_form`).
_LOOK_ALIKES = {
    "0": "\u039f\u03bf\u03c3\u041e\u043e\u0555\u0585\u06f5\u0966\u09e6\u0a66\u0ae6"
         "\u0b20\u0b66\u0be6\u0c02\u0c66\u0c82\u0ce6\u0d02\u0d20\u0d66\u0d82\u0e50"
         "\u0ed0\u101d\u1040\u10ff\u12d0\u1d0f\u1d11\u2c9e\u2c9f\u2d54\u3007\ua4f3"
         "\uab3d\U00010292\U000102ab\U00010404\U0001042c\U000104c2\U000104ea\U00010516"
         "\U000114d0\U000118b5\U000118c8\U000118d7\U000118e0\U0001d6b6\U0001d6d0"
         "\U0001d6d4\U0001d6f0\U0001d70a\U0001d70e\U0001d72a\U0001d744\U0001d748"
         "\U0001d764\U0001d77e\U0001d782\U0001d79e\U0001d7b8\U0001d7bc",
    "1": "\u0196\u01c0\u0399\u0406\u04c0\u06f1\u16c1\u2223\u23fd\u2c92\u2d4f\ua4f2"
         "\uffe8\U0001028a\U00010309\U00010320\U00016f28\U0001d6b0\U0001d6ea\U0001d724"
         "\U0001d75e\U0001d798",
    "2": "\u01a7\u03e8\u14bf\ua644\ua6ef\ua75a",
    "3": "\u01b7\u021c\u0417\u0437\u04e0\u2ccc\ua76a\ua7ab\U000118ca\U00016f3b"
         "\U0001d206",
    "4": "\u13ce\U000118af",
    "5": "\u01bc\U000118bb",
    "6": "\u0431\u13ee\u2cd2\U000118d5",
    "7": "\U000104d2\U000118c6\U0001d212",
    "8": "\u0222\u0223\u09ea\u0a6a\u0b03\U0001031a",
    "9": "\u09ed\u0a67\u0b68\u0d6d\u2cca\ua76e\U000118ac\U000118cc\U000118d6",
}
_LOOKS = str.maketrans({c: digit for digit, chars in _LOOK_ALIKES.items()
                        for c in chars})
_LOOKS_LIKE_A_DIGIT = frozenset(chr(c) for c in _LOOKS)


def look_alike_form(text: str) -> str | None:
    """`text` with each character that looks like a digit read as that digit, or None when it
    holds none."""
    if _LOOKS_LIKE_A_DIGIT.isdisjoint(text):
        return None
    return text.translate(_LOOKS)


def _mask_loose(m: re.Match[str]) -> str:
    uuid = m.group(1)
    if uuid is None:
        return MASK
    return _CANDIDATE_TEXT.sub(
        lambda c: MASK if hetu_problem(c.group(0)) is None else c.group(0), uuid)


# The head of a code at the very end of a line its sender cut (`{"x": "131052-30`): a date,
# its century sign and up to three digits of the individual number, nothing after but blanks.
# No whole code is left to mask, yet `131052-30` leaves ten (a review, 2026-12-07). Only a
# dead letter's raw text ends so: a line that ends there is no JSON.
_CUT_MARK = r"[./,:_ \-]"
_CUT_HEAD = re.compile(
    # the date as the door reads one: with marks (`13.10.52`, `5. 3. 95`, `13 10 1952`), or
    # its digits with blanks at most
    # (possessive runs: a run of blanks not at the end was tried at every length, and a 16 KB
    # dead letter took 1.8 s: a review, 2026-12-07)
    rf"(?<![0-9])(?:(?P<d1>[0-9]{{1,2}})(?P<mk>{_CUT_MARK}++)(?P<m1>[0-9]{{1,2}})(?P=mk)"
    r"|(?P<d2>[0-9]{2}) *+(?P<m2>[0-9]{2}) *+)(?P<cc>1[89]|20)?(?P<yy>[0-9]{2})"
    # a sign (any mark, more after it) and up to three digits, or blanks and some digits
    rf"(?:[{_SPACE}]*+(?P<sign>{_SIGN_TYPED}|[!-/:-@\[-`{{-~]){_CUT_MARK}*+"
    rf"(?P<nnn>[0-9]{{0,3}})|[{_SPACE}]++(?P<after_blank>[0-9]{{1,3}}))[{_SPACE}]*+\Z")


def mask_cut_head(text: str) -> str:
    """`text` with the head of a code at its end masked (see _CUT_HEAD); the rest as it is."""
    m = _CUT_HEAD.search(text)
    if m is None:
        return text
    sign = (m["sign"] or "").upper()
    if m["cc"]:
        centuries = [int(m["cc"]) * 100]
    elif sign in CENTURY:
        centuries = [CENTURY[sign]]
    else:  # a mark or a blank where the sign is: any century
        centuries = sorted(set(CENTURY.values()))
    day, month = (m["d1"], m["m1"]) if m["d1"] else (m["d2"], m["m2"])
    for century in centuries:
        try:
            date(century + int(m["yy"]), int(month), int(day))
        except ValueError:  # no date: no code's head
            continue
        return text[:m.start()] + MASK
    return text


# Text a person typed into the dashboard (a note on an alert, a filter, an SQL query, as the
# access log and Alertmanager keep them) is read more widely than an event's fields: as its
# skeleton, its letters and digits with everything else dropped, where a code is a date in
# either order (two- or four-digit year), a century letter or none, the individual number
# and, if typed, the check character (a partial code gives the whole one away: its check
# character is computed). An attack (2026-12-07) had `050395--912K`, `1310 52 308T`,
# `131052-3 08T`, `1995-03-05-912K` and `hetu 050395-912` kept as typed. The door cannot read
# events so (`Arvio 211 005 – 8 123 €` would be a code); in a note, masking too much costs
# nothing.
_DMY_IN_SKELETON = re.compile(
    r"(?<![0-9])(?=(?P<a>[0-9]{2})(?P<b>[0-9]{2})(?P<cc>1[89]|20)?(?P<c>[0-9]{2})"
    r"(?P<sign>[A-FU-Ya-fu-y]?)(?P<nnn>[0-9]{3})(?P<check>[0-9A-Ya-y]?)(?![0-9]))")
_YMD_IN_SKELETON = re.compile(
    r"(?<![0-9])(?=(?P<cc>1[89]|20)(?P<a>[0-9]{2})(?P<b>[0-9]{2})(?P<c>[0-9]{2})"
    r"(?P<sign>[A-FU-Ya-fu-y]?)(?P<nnn>[0-9]{3})(?P<check>[0-9A-Ya-y]?)(?![0-9]))")
_PARTS = ("a", "b", "cc", "c", "sign", "nnn", "check")


def mask_typed(text: str) -> str:
    """`text` as mask_codes masks it, and every code its skeleton holds masked as well."""
    masked = mask_codes(text)
    chars, where = [], []
    for i, ch in enumerate(masked):
        if ch.isdigit():
            digit = unicodedata.digit(ch, None)
            if digit is None:
                continue
            ch = str(digit)
        elif not ch.isalpha():
            continue
        chars.append(ch)
        where.append(i)
    spans = sorted(_skeleton_codes("".join(chars), where))
    parts, at = [], 0
    for start, end in spans:
        a, b = max(where[start], at), where[end - 1] + 1
        if a < b:
            parts += [masked[at:a], MASK]
            at = b
    return "".join(parts) + masked[at:]


def _skeleton_codes(skeleton: str, where: list[int]) -> list[tuple[int, int]]:
    """The spans of the codes in a skeleton (see mask_typed); `where`: the place in the text
    of each of its characters."""
    out = []
    for pattern in (_DMY_IN_SKELETON, _YMD_IN_SKELETON):
        for m in pattern.finditer(skeleton):
            g = m.groupdict()
            if pattern is _YMD_IN_SKELETON:
                orders = [(g["c"], g["b"], g["a"])]
            elif g["cc"]:
                orders = [(g["a"], g["b"], g["c"])]
            else:  # two-digit years: either order
                orders = [(g["a"], g["b"], g["c"]), (g["c"], g["b"], g["a"])]
            found = [_code_of(dd, mm, yy, g) for dd, mm, yy in orders]
            if g["check"] and "whole" not in found:
                at = m.start() + sum(len(g[k] or "") for k in _PARTS[:-1])
                if where[at] == where[at - 1] + 1:
                    continue  # a digit or letter glued to the number: a longer one (040 123 4567)
            if any(found):
                # the check character typed is masked with the rest if it is the code's;
                # another letter after the number ("912, ei ...") is a word of its own
                parts = _PARTS if "whole" in found else _PARTS[:-1]
                out.append((m.start(), m.start() + sum(len(g[k] or "") for k in parts)))
    return out


def _code_of(dd: str, mm: str, yy: str, g: dict[str, str]) -> str:
    """"whole" where these parts make a valid code with the check character typed, "head"
    where the date and the individual number are a code's (its check character computed
    from them), else ""."""
    nnn, check, sign = g["nnn"], g["check"], g["sign"]
    if not 2 <= int(nnn) <= 999:
        return ""
    centuries = {CENTURY[_CENTURY_SIGN[g["cc"]]]} if g["cc"] else set(CENTURY.values())
    if sign:
        centuries &= {CENTURY.get(sign.upper(), 0)}
    for century in centuries:
        try:
            date(century + int(yy), int(mm), int(dd))
        except ValueError:
            continue
        return "whole" if check.upper() == CHECK_CHARS[int(dd + mm + yy + nnn) % 31] else "head"
    return ""
