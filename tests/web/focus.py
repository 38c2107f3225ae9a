"""What a keyboard user checks: where Tab goes, and whether the focus ring can be seen.

The ring's contrast is WCAG 2.x's contrast ratio (relative luminance of sRGB colours,
(L1 + 0.05) / (L2 + 0.05)) between the computed outline colour and the colour behind it:
the first opaque background of the element's ancestors (its own, when the ring is drawn
inside it with a negative offset).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WHITE = (255, 255, 255)


def parse_rgb(css: str) -> tuple[int, int, int]:
    """``rgb(1, 2, 3)`` / ``rgba(1, 2, 3, 1)`` -> (1, 2, 3)."""
    found = re.match(r"rgba?\((\d+),\s*(\d+),\s*(\d+)", css)
    assert found, f"not an rgb colour: {css!r}"
    return int(found.group(1)), int(found.group(2)), int(found.group(3))


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass
class Ring:
    """The focused element's outline as computed, and the colour behind it."""

    element: str
    style: str
    width: float
    colour: tuple[int, int, int]
    behind: tuple[int, int, int]


_RING_JS = """() => {
  const el = document.activeElement;
  const cs = getComputedStyle(el);
  const opaque = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const bg = getComputedStyle(n).backgroundColor;
      const m = bg.match(/rgba?\\(([^)]*)\\)/);
      if (m) {
        const parts = m[1].split(',').map(Number);
        if (parts.length < 4 || parts[3] > 0.99) return bg;
      }
    }
    return 'rgb(255, 255, 255)';
  };
  const inside = parseFloat(cs.outlineOffset) < 0;
  return {
    element: el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') +
      (el.id ? '#' + el.id : ''),
    style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), colour: cs.outlineColor,
    behind: opaque(inside ? el : el.parentElement),
  };
}"""


def focus_ring(page) -> Ring:
    """The ring of the element that has the focus now."""
    got = page.evaluate(_RING_JS)
    return Ring(
        got["element"],
        got["style"],
        got["width"],
        parse_rgb(got["colour"]),
        parse_rgb(got["behind"]),
    )


def active_matches(page, selector: str) -> bool:
    return bool(page.evaluate("(s) => document.activeElement.matches(s)", selector))


def boxes_overlap(a: dict, b: dict) -> bool:
    """Whether two bounding boxes (Playwright's x, y, width, height) share any area."""
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )
