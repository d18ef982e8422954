"""The Suomi.fi design system's tokens as CSS custom properties, and WCAG contrast arithmetic.

The npm package `suomifi-design-tokens` ships its tokens as Sass variables and mixins
(static/vendor/suomifi-design-tokens/tokens.scss, vendored unchanged). The dashboard has no
Sass build, so this module turns that file into tokens.css once:

    python -m services.web.design_tokens   # rewrites static/vendor/.../tokens.css

A unit test checks the committed tokens.css is exactly what this produces, so the two cannot
drift apart when the package is updated. Colours keep the package's hsl() notation.
"""

import colorsys
import re
import sys
from pathlib import Path

VENDOR = Path(__file__).parent / "static" / "vendor" / "suomifi-design-tokens"
SCSS = VENDOR / "tokens.scss"
CSS = VENDOR / "tokens.css"

_VARIABLE = re.compile(r"\$(fi-[a-z0-9-]+):\s*([^;]+);")
_TEXT_MIXIN = re.compile(r"@mixin (fi-text-[a-z0-9-]+)\s*\{([^}]*)\}")
_DECLARATION = re.compile(r"([a-z-]+):\s*([^;]+);")
_HSL = re.compile(r"hsla?\(\s*([\d.]+),\s*([\d.]+)%,\s*([\d.]+)%")
_RGB = re.compile(r"rgba?\(\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)")


def variables(scss: str) -> dict[str, str]:
    """Every token as a custom property name (without `--`) and its CSS value: the Sass
    variables as they are, and each text mixin's declarations as `NAME-PROPERTY`."""
    out = {name: value.strip() for name, value in _VARIABLE.findall(scss)}
    for name, body in _TEXT_MIXIN.findall(scss):
        for prop, value in _DECLARATION.findall(body):
            out[f"{name}-{prop}"] = value.strip()
    return out


def css(scss: str, version: str) -> str:
    lines = [f"/* Generated from suomifi-design-tokens {version} (MIT, see LICENSE) by "
             "services/web/design_tokens.py: do not edit. */", ":root {"]
    lines += [f"  --{name}: {value};" for name, value in variables(scss).items()]
    return "\n".join([*lines, "}", ""])


def version() -> str:
    text = (VENDOR / "package.json").read_text(encoding="utf-8")
    found = re.search(r'"version":\s*"([^"]+)"', text)
    if found is None:
        raise ValueError("package.json names no version")
    return found.group(1)


def rgb(colour: str) -> tuple[float, float, float]:
    """sRGB channels 0..1 of `hsl(h, s%, l%)`, `rgb(r, g, b)` or `#rrggbb` (alpha ignored)."""
    colour = colour.strip()
    if m := _HSL.match(colour):
        h, s, lum = (float(x) for x in m.groups())
        r, g, b = colorsys.hls_to_rgb(h / 360, lum / 100, s / 100)
        # Browsers round each channel to a byte: so do we, to match what axe measures.
        return round(r * 255) / 255, round(g * 255) / 255, round(b * 255) / 255
    if m := _RGB.match(colour):
        r8, g8, b8 = (float(x) for x in m.groups())
        return r8 / 255, g8 / 255, b8 / 255
    if re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]
    raise ValueError(f"not a colour: {colour!r}")


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio, 1..21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def main() -> int:
    CSS.write_text(css(SCSS.read_text(encoding="utf-8"), version()), encoding="utf-8")
    print(f"wrote {CSS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
