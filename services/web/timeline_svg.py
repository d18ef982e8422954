"""One client's story on one time axis, as SVG: lanes of bars (a contract and its organisers,
suspensions, workers, referrals, gaps), an attendance strip with a mark per recorded day, the
handoff dates as marked lines, and month labels thinned so that they never overlap.

The chart is drawn in a fixed coordinate space (the viewBox); the page scales it as a whole,
so text never overlaps at any width if it does not overlap here. Every mark carries its
meaning in two ways at least: its lane's name, and a shape or pattern besides its colour
(hatched = a gap or a suspension; an absence is a short mark under the line, a presence a full
one). Colours are Suomi.fi design tokens with at least 3:1 against the white background
(WCAG 2.1 1.4.11). The tables under the chart carry the same facts for screen readers.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape

W, LEFT, RIGHT, LANE, TOP, AXIS = 1100, 230, 16, 26, 36, 32
FONT_PX = 14  # app.css .tl font-size, in the viewBox's units
CHAR_PX = 8.4  # a generous average advance of a 14 px sans-serif glyph, for fitting text

# Style -> (colour, hatched). Text written inside a solid bar takes the one of black-base or
# white with at least 4.5:1 on it (INK). Colours: suomifi-design-tokens 7.0.0, contrast on white in
# brackets (services/web/design_tokens.contrast; tests/unit/test_timeline_svg.py checks).
STYLES: dict[str, tuple[str, bool]] = {
    "municipality": ("hsl(23, 82%, 50%)", False),      # accent-base (3.29)
    "wellbeing_area": ("hsl(214, 100%, 24%)", False),  # brand-base (11.73)
    "other": ("hsl(284, 36%, 45%)", False),            # accent-tertiary-dark1 (6.09)
    "suspension": ("hsl(202, 7%, 40%)", True),         # depth-dark1 (5.69), hatched
    "worker": ("hsl(165, 90%, 27%)", False),           # success-dark1 (4.73)
    "referral": ("hsl(196, 77%, 44%)", False),         # accent-secondary (3.27)
    "gap": ("hsl(3, 59%, 43%)", True),                 # alert-base (6.34), hatched
    "present": ("hsl(165, 90%, 27%)", False),          # success-dark1, a full-height mark
    "absent": ("hsl(3, 59%, 43%)", False),             # alert-base, a short low mark
    "handoff": ("hsl(214, 100%, 24%)", False),         # brand-base, a dashed line
}
BLACK, WHITE = "hsl(0, 0%, 13%)", "hsl(0, 0%, 100%)"
INK = {"municipality": BLACK, "referral": BLACK}  # 4.89 and 4.93; white on the others


@dataclass(frozen=True)
class Bar:
    start: date
    end: date  # inclusive last day
    style: str
    label: str  # the tooltip: what, who and when, in words
    text: str = ""  # written inside the bar where it fits
    code: bool = False  # label and text name an identifier (a worker id): translate="no"


@dataclass(frozen=True)
class Lane:
    name: str
    kind: str  # contract, suspension, worker, referral, gap: for tests and styling
    bars: tuple[Bar, ...] = ()


@dataclass(frozen=True)
class Marker:
    on: date
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    first: date
    last: date  # the as-of date: the same end as the tables under the chart
    lanes: tuple[Lane, ...]
    attendance_lane: str = ""
    attendance: tuple[tuple[date, bool, str], ...] = ()  # day, present, tooltip
    markers: tuple[Marker, ...] = ()
    months: Sequence[str] = field(default_factory=tuple)  # month names, 1..12, for labels


def fi_date(d: date) -> str:
    return f"{d.day}.{d.month}.{d.year}"


def month_step(px_per_month: float, widest_label: int) -> int:
    """The fewest months between two labels so that labels never touch: a label needs its
    width plus a gap of one glyph."""
    need = (widest_label + 1) * CHAR_PX
    for step in (1, 2, 3, 4, 6, 12, 24, 60, 120):
        if px_per_month * step >= need:
            return step
    return 120


def _month_starts(first: date, last: date) -> list[date]:
    out, m = [], date(first.year, first.month, 1)
    while m <= last:
        if m >= first:
            out.append(m)
        m = (m + timedelta(days=32)).replace(day=1)
    return out


def _defs() -> str:
    out = ["<defs>"]
    for style, (colour, hatched) in STYLES.items():
        if hatched:
            out.append(f'<pattern id="tl-hatch-{style}" width="6" height="6" '
                       'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
                       f'<rect width="6" height="6" fill="#fff"/>'
                       f'<rect width="3" height="6" fill="{colour}"/></pattern>')
    out.append("</defs>")
    return "".join(out)


def fill_of(style: str) -> str:
    colour, hatched = STYLES[style]
    return f"url(#tl-hatch-{style})" if hatched else colour


def swatch(style: str) -> str:
    """A small picture of a style for the legend (the legend is HTML beside the chart)."""
    colour, hatched = STYLES[style]
    if style == "present":
        shape = f'<rect x="8" y="1" width="3" height="14" fill="{colour}"/>'
    elif style == "absent":
        shape = f'<rect x="8" y="10" width="3" height="5" fill="{colour}"/>'
    elif style == "handoff":
        shape = (f'<line x1="10" x2="10" y1="0" y2="16" stroke="{colour}" stroke-width="2" '
                 'stroke-dasharray="4 2"/>')
    else:
        pattern = ""
        if hatched:
            pattern = "".join(f'<line x1="{x}" y1="15" x2="{x + 10}" y2="1" stroke="{colour}" '
                              'stroke-width="2"/>' for x in (-4, 2, 8, 14))
        shape = (f'<rect x="1" y="1" width="18" height="14" fill="{"#fff" if hatched else colour}"'
                 f' stroke="{colour}" stroke-width="2"/>{pattern}')
    return (f'<svg width="20" height="16" viewBox="0 0 20 16" aria-hidden="true" '
            f'focusable="false" data-mark="{escape(colour)}">{shape}</svg>')


def _lane_name(name: str, y: int) -> str:
    """A lane's name in the left margin; a name too long for it is cut with an ellipsis and
    given whole in its tooltip."""
    room = int((LEFT - 12) / CHAR_PX)
    shown = name
    while len(shown) > room and " " in shown.strip():  # whole words only: no half-word
        shown = shown.rstrip(" …").rsplit(" ", 1)[0] + " …"
    if len(shown) > room:
        shown = shown[:room - 1] + "…"
    return (f'<text x="4" y="{y + 18}" class="tl-lane-name"><title>{escape(name)}</title>'
            f'{escape(shown)}</text>')


def pack(bars: Sequence[Bar], first: date, last: date) -> list[list[Bar]]:
    """The bars inside [first, last] in rows, each in the first row where it overlaps none
    (in time order): overlapping bars never cover each other."""
    rows: list[list[Bar]] = []
    for b in sorted(bars, key=lambda b: (b.start, b.end)):
        if min(b.end, last) < max(b.start, first):
            continue
        for row in rows:
            if row[-1].end < b.start:
                row.append(b)
                break
        else:
            rows.append([b])
    return rows


def draw(c: Chart) -> str:
    packed = [pack(lane.bars, c.first, c.last) for lane in c.lanes]
    rows = sum(max(len(p), 1) for p in packed) + (1 if c.attendance else 0)
    if rows == 0:
        return ""
    span = max((c.last - c.first).days + 1, 1)
    plot = W - LEFT - RIGHT
    height = TOP + LANE * rows + AXIS

    def x(d: date) -> float:
        return LEFT + plot * (d - c.first).days / span

    out = [f'<svg viewBox="0 0 {W} {height}" class="tl" role="img" '
           f'aria-labelledby="tl-title" xmlns="http://www.w3.org/2000/svg" '
           f'data-first="{c.first.isoformat()}" data-last="{c.last.isoformat()}">'
           f'<title id="tl-title">{escape(c.title)}</title>', _defs()]
    bottom = TOP + LANE * rows
    # Month grid and labels, thinned by the room a label needs.
    months = _month_starts(c.first, c.last)
    names = list(c.months) or [str(i) for i in range(1, 13)]

    def label(m: date) -> str:
        return f"{names[m.month - 1]} {m.year}"

    widest = max((len(label(m)) for m in months), default=0)
    step = month_step(plot * 30.44 / span, widest)
    right_of_last = -1e9
    for m in months:
        out.append(f'<line x1="{x(m):.1f}" x2="{x(m):.1f}" y1="{TOP}" y2="{bottom}" '
                   'class="grid"/>')
        half = len(label(m)) * CHAR_PX / 2
        at = min(x(m), W - 2 - half)  # the last label stays inside the picture...
        if (m.year * 12 + m.month - 1) % step == 0 and at - half > right_of_last + CHAR_PX:
            right_of_last = at + half  # ...and is left off if that would crowd the one before
            out.append(f'<text x="{at:.1f}" y="{bottom + 18}" class="tl-month" '
                       f'text-anchor="middle">{escape(label(m))}</text>')
    out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{bottom}" y2="{bottom}" class="axis"/>')
    # Lanes: a lane whose bars overlap in time (two workers at once) gets a row for each.
    y = TOP
    for lane, lane_rows in zip(c.lanes, packed, strict=True):
        height_of = LANE * max(len(lane_rows), 1)
        out.append(f'<g class="tl-lane" data-lane="{escape(lane.kind)}">'
                   f'{_lane_name(lane.name, y)}'
                   f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y + height_of}" '
                   f'y2="{y + height_of}" class="grid"/>')
        for r, b in ((r, b) for r, row in enumerate(lane_rows) for b in row):
            start, end = max(b.start, c.first), min(b.end, c.last)
            x0, x1 = x(start), x(end + timedelta(days=1))
            w = max(x1 - x0, 2.0)
            colour = STYLES[b.style][0]
            no = ' translate="no"' if b.code else ""
            out.append(f'<rect x="{x0:.1f}" y="{y + r * LANE + 4}" width="{w:.1f}" '
                       f'height="{LANE - 8}" '
                       f'fill="{fill_of(b.style)}" stroke="{colour}" stroke-width="1.5" '
                       f'data-mark="{escape(colour)}" data-style="{b.style}"{no}>'
                       f'<title>{escape(b.label)}</title></rect>')
            if b.text and len(b.text) * CHAR_PX + 8 <= w and not STYLES[b.style][1]:
                ink = "dark" if INK.get(b.style, WHITE) == BLACK else "light"
                out.append(f'<text x="{x0 + 4:.1f}" y="{y + r * LANE + 18}" '
                           f'class="tl-in ink-{ink}"{no}>{escape(b.text)}</text>')
        out.append("</g>")
        y += height_of
    # The attendance strip: one mark per recorded day.
    if c.attendance:
        day_w = max(plot / span, 1.0)
        out.append(f'<g class="tl-lane" data-lane="attendance">'
                   f'{_lane_name(c.attendance_lane, y)}')
        for on, present, tip in c.attendance:
            if not c.first <= on <= c.last:
                continue
            style = "present" if present else "absent"
            colour = STYLES[style][0]
            top, h = (y + 4, LANE - 8) if present else (y + LANE - 9, 5)
            out.append(f'<rect x="{x(on):.1f}" y="{top}" width="{day_w:.2f}" height="{h}" '
                       f'fill="{colour}" data-mark="{escape(colour)}" data-style="{style}">'
                       f'<title>{escape(tip)}</title></rect>')
        out.append("</g>")
    # Handoff dates: a dashed line through every lane and its date on top. A label that
    # would run into the previous one is left off (the legend and the title name it).
    last_end = -1e9
    colour = STYLES["handoff"][0]
    for mk in sorted(c.markers, key=lambda m: m.on):
        if not c.first <= mk.on <= c.last:
            continue
        xm = x(mk.on)
        out.append(f'<g class="tl-handoff" data-date="{mk.on.isoformat()}">'
                   f'<line x1="{xm:.1f}" x2="{xm:.1f}" y1="{TOP - 8}" y2="{bottom}" '
                   f'stroke="{colour}" stroke-width="2" stroke-dasharray="5 3" '
                   f'data-mark="{escape(colour)}"><title>{escape(mk.label)}</title></line>')
        width = len(mk.label) * CHAR_PX
        left = min(max(xm - width / 2, LEFT), W - RIGHT - width)
        if left > last_end + CHAR_PX:
            out.append(f'<text x="{left:.1f}" y="{TOP - 12}" class="tl-handoff-label">'
                       f'{escape(mk.label)}</text>')
            last_end = left + width
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)
