"""The Suomi.fi tokens as vendored, and the contrast of every colour pair the style sheet and
the timeline use (WCAG 2.1 AA: 4.5:1 for text, 3:1 for focus rings and chart marks)."""

import re
from pathlib import Path

import pytest

from services.web import design_tokens as dt
from services.web.timeline_svg import BLACK, INK, STYLES, WHITE

APP_CSS = Path(dt.__file__).parent / "static" / "app.css"


def tokens() -> dict[str, str]:
    return dt.variables(dt.SCSS.read_text(encoding="utf-8"))


def app_vars() -> dict[str, str]:
    """The custom properties app.css defines, resolved to token values."""
    text = APP_CSS.read_text(encoding="utf-8")
    root = text[text.index(":root {"):text.index("}", text.index(":root {"))]
    defined = dict(re.findall(r"--([a-z0-9-]+):\s*([^;]+);", root))
    values = {f"{k}": v for k, v in tokens().items()}
    out = {}
    for name, value in defined.items():
        ref = re.fullmatch(r"var\(--([a-z0-9-]+)\)", value.strip())
        out[name] = values[ref.group(1)] if ref else value.strip()
    return out


def test_tokens_css_is_exactly_what_the_vendored_scss_gives() -> None:
    assert dt.version() == "7.0.0"
    assert dt.CSS.read_text(encoding="utf-8") == dt.css(
        dt.SCSS.read_text(encoding="utf-8"), dt.version())
    t = tokens()
    assert t["fi-color-brand-base"] == "hsl(214, 100%, 24%)"
    assert t["fi-spacing-m"] == "20px"
    assert t["fi-text-heading2-font-size"] == "28px"
    assert "Source Sans 3" in t["fi-text-body-text-font-family"]
    assert (dt.VENDOR / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_every_custom_property_app_css_uses_is_defined() -> None:
    text = APP_CSS.read_text(encoding="utf-8")
    used = set(re.findall(r"var\(--([a-z0-9-]+)\)", text))
    defined = set(tokens()) | set(app_vars())
    assert used and used <= defined, sorted(used - defined)


def test_contrast_arithmetic_matches_wcag_examples() -> None:
    assert dt.contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert dt.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert dt.contrast("rgb(255, 255, 255)", "hsl(0, 0%, 100%)") == pytest.approx(1.0)


def test_text_colours_are_at_least_4_5_on_every_background_they_sit_on() -> None:
    v = app_vars()
    backgrounds = [v["bg"], v["head"], v["band"]]
    for name in ("fg", "accent", "accent-dark", "muted", "warn", "brand"):
        for bg in backgrounds:
            assert dt.contrast(v[name], bg) >= 4.5, (name, bg)
    assert dt.contrast(tokens()["fi-color-white-base"], v["accent"]) >= 4.5  # button text


def test_the_focus_ring_is_at_least_3_to_1_on_every_background() -> None:
    v = app_vars()
    for bg in (v["bg"], v["head"], v["band"], tokens()["fi-color-warning-light1"]):
        assert dt.contrast(v["focus"], bg) >= 3.0, bg


def test_timeline_marks_are_at_least_3_to_1_and_text_in_bars_4_5() -> None:
    for style, (colour, _) in STYLES.items():
        assert dt.contrast(colour, WHITE) >= 3.0, style
        assert dt.contrast(INK.get(style, WHITE), colour) >= 4.5 or style in (
            "suspension", "gap"), style  # hatched bars carry no text
    assert INK["municipality"] == BLACK
