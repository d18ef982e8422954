"""One client's story on one time axis, as SVG: lanes of bars (contracts by organiser,
workers, referrals, gaps) and ticks (attendance). The tables under it carry the same facts
for screen readers."""

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

W, LANE, LEFT, TOP = 1100, 22, 170, 24
COLOURS = {"municipality": "#E69F00", "wellbeing_area": "#0072B2", "worker": "#009E73",
           "referral": "#CC79A7", "gap": "#D55E00", "present": "#009E73", "absent": "#000000",
           "other": "#56B4E9"}


@dataclass(frozen=True)
class Bar:
    lane: str
    start: date
    end: date  # inclusive last day
    colour: str
    label: str


@dataclass(frozen=True)
class Tick:
    lane: str
    on: date
    colour: str
    label: str


def draw(title: str, bars: list[Bar], ticks: list[Tick], as_of: date) -> str:
    days = [b.start for b in bars] + [t.on for t in ticks]
    if not days:
        return ""
    first, last = min(days), as_of
    span = max((last - first).days + 1, 1)
    lanes: list[str] = []
    for lane in [b.lane for b in bars] + [t.lane for t in ticks]:
        if lane not in lanes:
            lanes.append(lane)
    height = TOP + LANE * len(lanes) + 24

    def x(d: date) -> float:
        return LEFT + (W - LEFT - 10) * (d - first).days / span

    out = [f'<svg viewBox="0 0 {W} {height}" class="tl" role="img" aria-label="{escape(title)}"'
           f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, lane in enumerate(lanes):
        y = TOP + i * LANE
        out.append(f'<text x="4" y="{y + 15}">{escape(lane)}</text>'
                   f'<line x1="{LEFT}" x2="{W - 10}" y1="{y + LANE}" y2="{y + LANE}" '
                   f'stroke="#eee"/>')
    month = date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            out.append(f'<line x1="{x(month):.1f}" x2="{x(month):.1f}" y1="{TOP}" '
                       f'y2="{height - 20}" stroke="#ddd"/><text x="{x(month):.1f}" '
                       f'y="{height - 6}" text-anchor="middle">{month.month}/{month.year}</text>')
        month = (month + timedelta(days=32)).replace(day=1)
    for b in bars:
        y = TOP + lanes.index(b.lane) * LANE + 3
        w = max(x(min(b.end, last) + timedelta(days=1)) - x(b.start), 2)
        out.append(f'<rect x="{x(b.start):.1f}" y="{y}" width="{w:.1f}" height="{LANE - 6}" '
                   f'fill="{b.colour}" opacity="0.85"><title>{escape(b.label)}</title></rect>')
    for t in ticks:
        y = TOP + lanes.index(t.lane) * LANE + 3
        out.append(f'<rect x="{x(t.on):.1f}" y="{y}" width="2" height="{LANE - 6}" '
                   f'fill="{t.colour}"><title>{escape(t.label)}</title></rect>')
    out.append("</svg>")
    return "".join(out)
