"""The choropleth as inline SVG: one focusable link per municipality around its path, filled by
its class, hatched when its figure is hidden, plain when there is nothing to show. Every path
carries its municipality code and state, and a text (title and aria-label) that says what the
colour says, so nothing is told by colour alone."""

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from services.web.geo import Layout

# ColorBrewer's 5-class "Blues": sequential, readable with the common colour-vision
# deficiencies and in greyscale (lightness rises steadily).
PALETTE = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
NONE_FILL = "url(#nodata)"
HIDDEN_FILL = "url(#hatch)"
STROKE = "#4d4d4d"


@dataclass(frozen=True)
class Cell:
    """How one municipality is drawn."""
    state: str  # "value", "hidden" or "none"
    label: str  # what a screen reader and the tooltip say: name and figure in words
    href: str
    bin: int = -1  # class index for "value"
    focused: bool = False


def fill(cell: Cell) -> str:
    if cell.state == "hidden":
        return HIDDEN_FILL
    if cell.state == "value" and 0 <= cell.bin < len(PALETTE):
        return PALETTE[cell.bin]
    return NONE_FILL


def hatch_defs() -> str:
    """The patterns: hatch for hidden figures (grey diagonal lines on light grey), sparse
    dots on white for places with nothing to show (so neither is told by colour alone)."""
    return ('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e0e0e0"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#5c5c5c" stroke-width="2.2"/>'
            '</pattern><pattern id="nodata" width="7" height="7" patternUnits="userSpaceOnUse">'
            '<rect width="7" height="7" fill="#ffffff"/><circle cx="3.5" cy="3.5" r="1" '
            'fill="#6b6b6b"/></pattern></defs>')


def choropleth(layout: Layout, cells: Mapping[str, Cell], title: str) -> str:
    out = [f'<svg class="choropleth" viewBox="{layout.view_box}" role="group" '
           f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">', hatch_defs()]
    focused: list[str] = []
    for s in layout.shapes:
        c = cells.get(s.code)
        if c is None:
            continue
        path = (f'<path id="p-{s.code}" d="{s.d}" fill="{fill(c)}" stroke="{STROKE}" '
                f'stroke-width="0.6" '
                f'fill-rule="evenodd" class="muni {c.state}" data-code="{s.code}" '
                f'data-state="{c.state}"><title>{escape(c.label)}</title></path>')
        # the id: a pick comes back to the map at `#m-<code>`, where the keyboard was
        link = (f'<a href="{escape(c.href)}" aria-label="{escape(c.label)}" '
                f'id="m-{s.code}" data-code="{s.code}">{path}</a>')
        if c.focused:  # drawn last, so its thick border is not covered by a neighbour
            focused.append(link.replace('class="muni ', 'class="muni focused '))
        else:
            out.append(link)
    out += focused
    # drawn over every shape: the outline of the one the keyboard or the pointer is on
    # (static/tables.js points it there); a neighbour drawn later covered the path's own
    # stroke along their border (a review, 2026-12-07)
    out.append('<path class="ring" d="" fill="none" stroke="#000" stroke-width="2.5" '
               'fill-rule="evenodd" pointer-events="none" aria-hidden="true"/>')
    out.append("</svg>")
    return "".join(out)


def swatch(fill_value: str) -> str:
    """A legend square with the same fill as the map (the patterns are the map's own: one id
    per page)."""
    return (f'<svg class="swatch" viewBox="0 0 18 18" width="18" height="18" aria-hidden="true">'
            f'<rect x="0.5" y="0.5" width="17" height="17" fill="{fill_value}" '
            f'stroke="{STROKE}"/></svg>')
