"""What a person checks on every page: axe-core finds nothing, and nothing scrolls sideways.

axe-core comes from npm (tests/web/js, installed by ``make web-deps``) and is evaluated in
the page through the DevTools protocol, so the pages' Content-Security-Policy stays on.
The rules run are WCAG 2.0, 2.1 and 2.2 A and AA plus axe's best practices.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE = Path(__file__).resolve().parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
NARROWEST = {"width": 360, "height": 740}


@cache
def _axe_source() -> str:
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run `make web-deps`")
    return AXE.read_text()


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (each with its rule and nodes)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return result["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(n["target"]) for n in v["nodes"][:5]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core on {page.url}:\n{describe(violations)}"


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0: no sideways scroll)."""
    return int(
        page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    )


def assert_fits(page) -> None:
    extra = sideways_overflow(page)
    assert extra <= 0, f"{page.url} scrolls sideways by {extra}px at {page.viewport_size}"


def check_page(page) -> None:
    """The two checks every journey step makes: axe finds nothing, nothing scrolls sideways."""
    assert_fits(page)
    assert_accessible(page)
