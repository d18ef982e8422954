"""The overview's charts (services/web/svg.py): every series keeps its style by what it is, in
a fixed order, with meaning carried by dash and marker as well as colour; a hidden month is
drawn as hidden, not as a line that ends early."""

import re
from datetime import date

from services.web.design_tokens import contrast
from services.web.published import GAP_TYPES
from services.web.svg import DASHES, FIXED, MARKERS, PALETTE, REGION, line_chart, ordered, style_of

DAYS = [date(2023, m, 28) for m in range(1, 7)]


def test_the_palette_is_okabe_ito_in_a_fixed_order() -> None:
    # Okabe-Ito, its three lightest darkened to reach 3:1 on white (WCAG 2.1 1.4.11).
    assert PALETTE == ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#C27C00", "#2E8BC0",
                       "#8F7F00")
    assert min(contrast(c, "#ffffff") for c in PALETTE) >= 3
    assert FIXED[:5] == GAP_TYPES
    styles = [style_of(g) for g in GAP_TYPES]
    assert [s.colour for s in styles] == list(PALETTE[:5])
    # no two gap types share a colour, a dash or a marker: none is told by colour alone
    for attr in ("colour", "dash", "marker"):
        assert len({getattr(s, attr) for s in styles}) == 5
    assert len(set(DASHES)) == len(DASHES) and len(set(MARKERS)) == len(MARKERS)
    assert style_of(REGION).colour == "#000000"
    ktt, sosku = style_of("KTT"), style_of("SOSKU")
    assert (ktt.colour, ktt.dash, ktt.marker) != (sosku.colour, sosku.dash, sosku.marker)
    assert ktt.dash != sosku.dash and ktt.marker != sosku.marker


def test_order_and_style_do_not_depend_on_the_order_series_arrive_in() -> None:
    keys = ["Oulu", "SERVICE_BREAK", REGION, "Lakeus", "HANDOFF_MISSING", "KTT"]
    assert ordered(keys) == [REGION, "HANDOFF_MISSING", "SERVICE_BREAK", "KTT", "Lakeus",
                             "Oulu"]
    assert ordered(list(reversed(keys))) == ordered(keys)
    areas = ["Rannikko", "Eteläinen", "Oulu"]
    assert {a: style_of(a, areas) for a in areas} == {
        a: style_of(a, list(reversed(areas))) for a in areas}
    one = {g: [(d, float(i + 10)) for d in DAYS] for i, g in enumerate(GAP_TYPES)}
    other = dict(reversed(list(one.items())))
    assert line_chart("t", one) == line_chart("t", other)
    # the legend lists the series in the fixed order
    svg = line_chart("t", other)
    assert re.findall(r'class="legend" data-key="(\w+)"', svg) == list(GAP_TYPES)


def test_a_hidden_month_is_shown_as_hidden_not_as_an_early_end() -> None:
    pts = [(d, v) for d, v in zip(DAYS, [10.0, 12.0, None, 11.0, None, 9.0], strict=True)]
    svg = line_chart("t", {"SERVICE_BREAK": pts}, hidden_label="piilotettu")
    line = re.search(r'<path d="([^"]+)"[^>]*class="series"', svg)
    assert line is not None
    assert line.group(1).count("M") == 3  # broken at each hidden month, and goes on after
    assert svg.count('class="hidden-band"') == 2
    assert 'class="legend hidden-legend">piilotettu<' in svg
    # the last point is drawn, the line does not stop at the first hidden month
    assert line.group(1).rstrip().split(" ")[-1].startswith(("L", "M"))
    assert len(re.findall(r"[ML][\d.]+,[\d.]+", line.group(1))) == 4
    no_hidden = line_chart("t", {"SERVICE_BREAK": [(d, 5.0) for d in DAYS]},
                           hidden_label="piilotettu")
    assert "hidden-band" not in no_hidden and "piilotettu" not in no_hidden


def test_handoff_dates_are_marked_and_the_note_is_on_the_chart() -> None:
    pts = [(d, 5.0) for d in DAYS]
    svg = line_chart("t", {"KTT": pts}, markers=[(date(2023, 3, 1), "1.3.2023")],
                     note="454/1025 began before 1.1.2023")
    assert svg.count('class="handoff-mark"') == 1 and ">1.3.2023<" in svg
    assert 'class="note">454/1025 began before 1.1.2023<' in svg
    assert 'aria-label="t. 454/1025 began before 1.1.2023"' in svg


def test_axis_numbers_and_dates_are_written_the_languages_way() -> None:
    """Issue 13: the axis of a chart writes its numbers through Babel like every figure of
    the page (`2 500` with a no-break space), not `2500` or `2,500`; its dates too."""
    pts = [(d, 400.0 * i) for i, d in enumerate(DAYS)]  # up to 2000: ticks of 500
    for lang in ("fi", "sv", "en"):
        svg = line_chart("t", {"KTT": pts}, lang=lang)
        ticks = re.findall(r'text-anchor="end">([^<]*)</text>', svg)
        assert ticks[-1] == "2\u00a0000" and "1\u00a0000" in ticks, (lang, ticks)
        assert not [t for t in ticks if re.search(r"\d{4}|\d,\d{3}", t)], ticks
        dates = re.findall(r'text-anchor="middle">([^<]*)</text>', svg)
        assert dates and all(re.fullmatch(r"\d{1,2}[./]\d{1,2}[./]2023", d) for d in dates)
    assert "28.1.2023" in line_chart("t", {"KTT": pts}, lang="fi")


def test_the_maps_labels_write_their_counts_the_languages_way() -> None:
    from services.web.pages.service_map import Unit, _label

    shown = Unit("564", "Oulu", "Oulu", "1234", "56789", 2.2, "value")
    assert _label("Oulu", shown, "municipality", "fi") == "Oulu: 2,2 (1\u00a0234 / 56\u00a0789)"
    hidden = Unit("564", "Oulu", "Oulu", "<5", "12345", None, "hidden")
    assert _label("Oulu", hidden, "municipality", "sv").endswith("(<5 / 12\u00a0345)")


def test_a_narrow_frame_puts_the_legend_under_the_plot_inside_its_box() -> None:
    """The phone's and the small per-area charts' frame (svg.PHONE, svg.SMALL): 380 wide, so
    a chart shown 340-390 px wide writes its text at about its own size, and the legend under
    the plot, every row of it (and the hidden one) inside the box the viewBox gives."""
    from services.web.svg import PHONE, SMALL, WIDE

    pts = {g: [(d, None if i == 2 else float(10 * j + i)) for i, d in enumerate(DAYS)]
           for j, g in enumerate(GAP_TYPES)}
    for frame in (PHONE, SMALL):
        svg = line_chart("t", pts, hidden_label="piilotettu", frame=frame,
                         markers=[(date(2023, 3, 1), "1.3.2023")], note="a note " * 12)
        box = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
        assert box is not None
        width, height = int(box.group(1)), int(box.group(2))
        assert width == 380 and f'class="chart {frame.css}"' in svg
        legend = [(float(x), float(y)) for x, y in
                  re.findall(r'<text x="([\d.]+)" y="([\d.]+)" class="legend', svg)]
        assert len(legend) == len(GAP_TYPES) + 1  # and the hidden row
        assert all(x < width / 2 for x, _ in legend)  # at the left, under the plot
        assert min(y for _, y in legend) > frame.bottom + 24  # under the hidden lane
        assert max(y for _, y in legend) <= height
        ys = [float(y) for y in re.findall(r'<text[^>]* y="([\d.]+)"', svg)]
        xs = [float(x) for x in re.findall(r'<text x="([\d.]+)"', svg)]
        assert max(ys) <= height and min(xs) >= 0 and max(xs) < width
        assert svg.count('class="note"') >= 2  # the note wrapped to the narrow width
    wide = line_chart("t", pts, hidden_label="piilotettu", frame=WIDE)
    assert 'viewBox="0 0 760 300"' in wide and 'class="chart wide"' in wide
