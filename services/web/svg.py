"""Server-rendered SVG charts. Chosen over vendored Vega: no script to ship or run, the chart
is in the page the moment it arrives, it prints, and a screen reader gets its title and the data
table beside it. Values that are suppressed ('<5') arrive as None and break the line."""

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape

# Okabe-Ito: distinguishable with the common colour-vision deficiencies; its orange and sky
# blue darkened (#C27C00 3.4:1, #2E8BC0 3.77:1) so every line is >= 3:1 on white (WCAG 1.4.11).
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#C27C00", "#2E8BC0", "#000000")
W, H, L, R, T, B = 720, 260, 48, 170, 12, 28


def nice_step(top: float, counts: bool) -> float:
    # Count axes step in multiples of 5 so no tick reads like a count from 1 to 4.
    for step in (5.0, 10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0,
                 5000.0, 10000.0, 50000.0):
        if top / step <= 6:
            return step
    return float(10 ** len(str(int(top))))


def line_chart(title: str, series: Mapping[str, Sequence[tuple[date, float | None]]],
               counts: bool = True, top: float | None = None) -> str:
    xs = sorted({d for pts in series.values() for d, _ in pts})
    values = [v for pts in series.values() for _, v in pts if v is not None]
    if not xs:
        return ""
    top = top or max([*values, 5.0])
    step = nice_step(top, counts)
    top = step * -(-top // step)
    span = max((xs[-1] - xs[0]).days, 1)

    def px(d: date) -> float:
        return L + (W - L - R) * (d - xs[0]).days / span

    def py(v: float) -> float:
        return T + (H - T - B) * (1 - v / top)

    out = [f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" '
           f'class="chart" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    tick = 0.0
    while tick <= top:
        y = py(tick)
        out.append(f'<line x1="{L}" x2="{W - R}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>')
        tick += step
    for d in xs[:: max(1, len(xs) // 6)]:
        out.append(f'<text x="{px(d):.1f}" y="{H - 8}" text-anchor="middle">'
                   f'{d.day}.{d.month}.{d.year}</text>')
    for i, (name, pts) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        path, pen = [], "M"
        for d, v in pts:
            if v is None:
                pen = "M"
                continue
            path.append(f"{pen}{px(d):.1f},{py(v):.1f}")
            pen = "L"
        if path:
            out.append(f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" '
                       f'stroke-width="2" class="s{i}"/>')
        ly = T + 16 * i + 8
        out.append(f'<line x1="{W - R + 10}" x2="{W - R + 28}" y1="{ly}" y2="{ly}" '
                   f'stroke="{colour}" stroke-width="3"/><text x="{W - R + 32}" y="{ly + 4}">'
                   f'{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def count_value(text: str | None) -> float | None:
    """A suppressed count ('<5') or a missing one cannot be drawn: None."""
    if text is None or not str(text).isdigit():
        return None
    return float(text)
