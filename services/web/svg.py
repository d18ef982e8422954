"""Server-rendered SVG charts. Chosen over vendored Vega: no script to ship or run, the chart
is in the page the moment it arrives, it prints, and a screen reader gets its title and the data
table beside it.

Every series has a fixed style (colour, dash and marker) chosen by what it is, not by where it
falls in a list: a gap type, a service or an area keeps its look on every page and after every
restart, and meaning never rests on colour alone. A value that is hidden by suppression ('<5',
'..', '–') arrives as None: the line breaks there, the day is shaded with a hatched band, and a
hollow marker of the hidden series sits in the lane under the axis (a legend entry says so), so
a hidden month is seen as hidden, not as a line that ends early."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from services.web.formats import day, num

# Okabe-Ito: distinguishable with the common colour-vision deficiencies. Black is left out
# (it is the text colour, and the handoff markers are drawn in it).
# Its orange, sky blue and yellow are darkened (#C27C00 3.4:1, #2E8BC0 3.8:1, #8F7F00 4.0:1)
# so that every line is at least 3:1 on white (WCAG 2.1 1.4.11; tests/e2e/web/test_every_page.py).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#C27C00", "#2E8BC0", "#8F7F00")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "12 4", "4 2 1 2", "1 2")
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "triangle-down", "plus")
# The fixed order of the series the overview draws: the five gap types, then the two services
# of the handoff story (on a chart of their own, so they reuse the two strongest colours with
# other dashes and markers); any other key (an area) takes the style of its place in the
# sorted keys, and the region ('*') is drawn in black.
FIXED = ("HANDOFF_MISSING", "SERVICE_BREAK", "NO_RESPONSIBLE_WORKER", "ATTENDANCE_SILENCE",
         "REFERRAL_STALLED", "KTT", "SOSKU")
_OWN = {"KTT": (0, 1, 1), "SOSKU": (1, 0, 0)}  # palette, dash, marker
REGION = "*"
# R: room at the right for the legend, its longest text the Swedish "Ingen ansvarig
# socialarbetare" (it ran 20 px past the box with 200)
W, H, L, R, T, B = 760, 300, 52, 240, 26, 52


@dataclass(frozen=True)
class Frame:
    """A chart's box in its own units (the page scales it to the width it has, text too).
    Drawn 760 wide with the legend at the right, a chart shown 340-390 px wide (a phone, or
    one of the overview's small charts per area) wrote its 11-unit text at about 5 px; drawn
    380 wide with the legend under the plot, the same text is about 10 px there."""
    width: int
    bottom: int  # the plot's bottom (its x axis)
    left: int
    right: int
    legend_below: bool
    css: str  # the svg's class besides `chart`: which the page shows where (app.css)

    @property
    def lane(self) -> int:  # the lane of hidden markers, under the axis labels
        return self.bottom + 24

    @property
    def dates(self) -> int:  # how many dates the x axis writes: six on the wide plot
        return max(2, round(6 * (self.width - self.right - self.left) / (W - L - R)))


WIDE = Frame(W, H - B, L, R, False, "wide")  # the page's charts on a wider screen
PHONE = Frame(380, 200, 44, 16, True, "narrow")  # the same charts on a phone
SMALL = Frame(380, 180, 44, 16, True, "small")  # a small chart per area, on every screen
ROW = 16  # a legend row under the plot


@dataclass(frozen=True)
class Style:
    colour: str
    dash: str
    marker: str


def style_of(key: str, others: Sequence[str] = ()) -> Style:
    """The fixed style of a series: by FIXED for the known keys, the region in black, any
    other key by its place among `others` (sorted, so the same set gives the same styles)."""
    if key == REGION:
        return Style("#000000", "", "circle")
    if key in _OWN:
        c, d, m = _OWN[key]
        return Style(PALETTE[c], DASHES[d], MARKERS[m])
    if key in FIXED:
        i = FIXED.index(key)
        return Style(PALETTE[i], DASHES[i], MARKERS[i])
    rest = sorted(k for k in others if k not in FIXED and k != REGION)
    i = rest.index(key) if key in rest else len(rest)
    return Style(PALETTE[i % len(PALETTE)], DASHES[(i + 1) % len(DASHES)],
                 MARKERS[(i + 1) % len(MARKERS)])


def ordered(keys: Sequence[str]) -> list[str]:
    """The drawing and legend order: the region, FIXED's order, then the rest sorted."""
    return sorted(keys, key=lambda k: (k != REGION, k not in FIXED,
                                       FIXED.index(k) if k in FIXED else 0, k))


def nice_step(top: float, counts: bool) -> float:
    # Count axes step in multiples of 5 so no tick reads like a count from 1 to 4.
    for step in (5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0,
                 5000.0, 10000.0, 50000.0):
        if top / step <= 6:
            return step
    return float(10 ** len(str(int(top))))


def _marker(kind: str, x: float, y: float, colour: str, hollow: bool = False, r: float = 3.5
            ) -> str:
    fill = "none" if hollow else colour
    paint = f'fill="{fill}" stroke="{colour}" stroke-width="1.5"'
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" {paint}/>'
    if kind == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" {paint}/>'
    if kind in ("triangle", "triangle-down"):
        s = 1 if kind == "triangle" else -1
        pts = f"{x:.1f},{y - s * r:.1f} {x - r:.1f},{y + s * r:.1f} {x + r:.1f},{y + s * r:.1f}"
        return f'<polygon points="{pts}" {paint}/>'
    if kind == "diamond":
        pts = f"{x:.1f},{y - r:.1f} {x + r:.1f},{y:.1f} {x:.1f},{y + r:.1f} {x - r:.1f},{y:.1f}"
        return f'<polygon points="{pts}" {paint}/>'
    if kind == "plus":
        return (f'<path d="M{x - r:.1f},{y:.1f}H{x + r:.1f}M{x:.1f},{y - r:.1f}V{y + r:.1f}" '
                f'stroke="{colour}" stroke-width="2"/>')
    return (f'<path d="M{x - r:.1f},{y - r:.1f}L{x + r:.1f},{y + r:.1f}M{x - r:.1f},'
            f'{y + r:.1f}L{x + r:.1f},{y - r:.1f}" stroke="{colour}" stroke-width="2"/>')


def line_chart(title: str, series: Mapping[str, Sequence[tuple[date, float | None]]],
               counts: bool = True, top: float | None = None,
               labels: Mapping[str, str] | None = None,
               markers: Sequence[tuple[date, str]] = (), hidden_label: str = "",
               note: str = "", ident: str = "c", lang: str = "fi", frame: Frame = WIDE) -> str:
    """Lines of `series` (key -> points) with their fixed styles, legend text from `labels`
    (default: the key), vertical markers at `markers` (e.g. the handoff dates), hidden points
    shown as hidden (`hidden_label` in the legend), and `note` written under the title.
    Axis numbers and dates are written the way of `lang` (services/web/formats.py: `1 234`,
    never `1234` or `1,234`). `frame` is the box it is drawn in (WIDE, PHONE or SMALL)."""
    labels = labels or {}
    f = frame
    lines = _wrap(note, 95 * (f.width - f.left) // (W - L)) if note else []
    top_y = T + 15 * len(lines)  # the plot starts under the note
    points = {d for pts in series.values() for d, _ in pts}
    xs = sorted(points | {d for d, _ in markers if points})
    values = [v for pts in series.values() for _, v in pts if v is not None]
    if not xs:
        return ""
    top = top or max([*values, 5.0])
    step = nice_step(top, counts)
    top = step * -(-top // step)
    span = max((xs[-1] - xs[0]).days, 1)
    keys = ordered(list(series))

    right = f.width - f.right  # the plot's right edge
    hidden_days = sorted({d for k in keys for d, v in series[k] if v is None})
    legend_rows = len(keys) + (1 if hidden_days and hidden_label else 0)
    legend_top = f.lane + 20 if f.legend_below else top_y
    height = legend_top + ROW * legend_rows if f.legend_below else f.bottom + B

    def px(d: date) -> float:
        return f.left + (right - f.left) * (d - xs[0]).days / span

    def py(v: float) -> float:
        return top_y + (f.bottom - top_y) * (1 - v / top)

    def legend_at(row: int) -> tuple[int, int]:  # a legend row's swatch start and middle
        if f.legend_below:
            return f.left, legend_top + ROW * row
        return right + 10, top_y + 18 * row + 8

    said = f"{title}. {note}" if note else title
    out = [f'<svg viewBox="0 0 {f.width} {height}" role="img" aria-label="{escape(said)}" '
           f'class="chart {f.css}" xmlns="http://www.w3.org/2000/svg">'
           f'<title>{escape(said)}</title>',
           f'<defs><pattern id="{ident}-hatch" width="6" height="6" '
           f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
           f'<line x1="0" y1="0" x2="0" y2="6" stroke="#767676" stroke-width="2"/>'
           f'</pattern></defs>']
    for i, line in enumerate(lines):
        out.append(f'<text x="{f.left}" y="{14 + 15 * i}" class="note">{escape(line)}</text>')
    tick = 0.0
    while tick <= top:
        y = py(tick)
        out.append(f'<line x1="{f.left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{escape(_tick(tick, lang))}</text>')
        tick += step
    out += _x_labels(xs, px, lang, f)
    # Hidden days: one hatched band over the plot per day where any series is hidden.
    at = {d: i for i, d in enumerate(xs)}
    for d in hidden_days:
        i = at[d]
        x0 = (px(xs[i - 1]) + px(d)) / 2 if i else px(d) - 3
        x1 = (px(xs[i + 1]) + px(d)) / 2 if i + 1 < len(xs) else px(d) + 3
        out.append(f'<rect x="{x0:.1f}" y="{top_y}" width="{max(x1 - x0, 2):.1f}" '
                   f'height="{f.bottom - top_y}" fill="url(#{ident}-hatch)" opacity="0.35" '
                   f'class="hidden-band"/>')
    for d, text in markers:
        x = px(d)
        # the label at the mark's right, or at its left where it would run out of the box
        # (a narrow frame has no legend there)
        at_left = x + 3 + 7 * len(text) > f.width
        where = f'x="{x - 3:.1f}" text-anchor="end"' if at_left else f'x="{x + 3:.1f}"'
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top_y - 4}" y2="{f.bottom}" '
                   f'stroke="#000" stroke-dasharray="3 3" class="handoff-mark"/><text '
                   f'{where} y="{top_y - 6}" class="mark-label">{escape(text)}</text>')
    for i, k in enumerate(keys):
        st = style_of(k, keys)
        path, pen = [], "M"
        dots = []
        for d, v in series[k]:
            if v is None:
                pen = "M"
                dots.append(_marker(st.marker, px(d), f.lane, st.colour, hollow=True, r=3))
                continue
            path.append(f"{pen}{px(d):.1f},{py(v):.1f}")
            pen = "L"
        if path:
            dash = f' stroke-dasharray="{st.dash}"' if st.dash else ""
            out.append(f'<path d="{" ".join(path)}" fill="none" stroke="{st.colour}" '
                       f'stroke-width="2"{dash} class="series" data-key="{escape(k)}"/>')
        # a marker on every few points, so the series is known without its colour
        # (and beside a hidden point, so a lone shown month is seen)
        vals = [v for _, v in series[k]]
        every = max(1, len(vals) // 12)
        for j, (d, v) in enumerate(series[k]):
            near_hidden = (j > 0 and vals[j - 1] is None) or (j + 1 < len(vals)
                                                              and vals[j + 1] is None)
            if v is not None and (j % every == 0 or j == len(vals) - 1 or near_hidden):
                out.append(_marker(st.marker, px(d), py(v), st.colour))
        out += dots
        lx, ly = legend_at(i)
        dash = f' stroke-dasharray="{st.dash}"' if st.dash else ""
        name = labels.get(k, k)
        out.append(f'<line x1="{lx}" x2="{lx + 24}" y1="{ly}" y2="{ly}" '
                   f'stroke="{st.colour}" stroke-width="3"{dash}/>'
                   + _marker(st.marker, lx + 12, ly, st.colour)
                   + f'<text x="{lx + 30}" y="{ly + 4}" class="legend" '
                     f'data-key="{escape(k)}">{escape(name)}</text>')
    if hidden_days and hidden_label:
        lx, ly = legend_at(len(keys))
        out.append(f'<rect x="{lx}" y="{ly - 6}" width="24" height="12" '
                   f'fill="url(#{ident}-hatch)" stroke="#767676"/><text x="{lx + 30}" '
                   f'y="{ly + 4}" class="legend hidden-legend">{escape(hidden_label)}</text>')
    out.append("</svg>")
    return "".join(out)


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _tick(value: float, lang: str) -> str:
    """An axis number through Babel, as every number of the page (`|num`)."""
    return num(int(value), lang) if value == int(value) else num(value, lang, 1)


def _x_labels(xs: Sequence[date], px: Callable[[date], float], lang: str, f: Frame
              ) -> list[str]:
    """A tick on each 1 January in range (years do not overlap), else about `f.dates` dates.
    A label is centred on its tick, moved in where it would run out of the chart's width
    (a narrow frame has no legend at the right: `1.4.2023` ran past its edge)."""
    bottom = f.bottom

    def inside(x: float, text: str) -> float:
        half = 3.5 * len(text)  # about half its width at 11 units a character's height
        return min(max(x, half), f.width - half)

    years = [d for d in xs if d.month == 1 and d.day == 31] or [d for d in xs if d.month == 1]
    out = []
    if len({d.year for d in xs}) >= 2 and years:
        for d in years:
            x = px(date(d.year, 1, 1)) if date(d.year, 1, 1) >= xs[0] else px(d)
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 4}" '
                       f'stroke="#767676"/><text x="{inside(x, str(d.year)):.1f}" '
                       f'y="{bottom + 16}" text-anchor="middle">{d.year}</text>')
        return out
    for d in xs[:: max(1, len(xs) // f.dates)]:
        text = day(d, lang)
        out.append(f'<text x="{inside(px(d), text):.1f}" y="{bottom + 16}" '
                   f'text-anchor="middle">{escape(text)}</text>')
    return out


def count_value(text: str | None) -> float | None:
    """A suppressed count ('<5', '..', '–') or a missing one cannot be drawn: None."""
    if text is None or not str(text).isdigit():
        return None
    return float(text)

