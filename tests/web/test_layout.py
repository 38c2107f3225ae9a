"""Every page on a phone (down to 360 px) and a desktop: nothing scrolls sideways, tables
scroll in their own box, the skip link shows and leads to the content, the focus ring can
be seen."""

from __future__ import annotations

from tests.web.a11y import NARROWEST, check_page
from tests.web.conftest import LAB, Site, shot, sign_in, sign_out
from tests.web.focus import WHITE, active_matches, boxes_overlap, contrast, focus_ring

#: (name, who signs in, path): every kind of page a person reaches.
PAGES = [
    ("search", None, "/ui/search?q=health"),
    ("dataset", None, "/ui/datasets/{dataset}"),
    ("login", None, "/ui/login"),
    ("not-found", None, "/ui/datasets/no-such-dataset"),
    ("requests", "dev", "/ui/requests"),
    ("request-form", "dev", "/ui/datasets/{dataset}/request?lab=" + LAB),
    ("steward", "stew", "/ui/steward"),
    ("staff", "staffer", "/ui/staff"),
]


_STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 0.5 && !el.closest('.scroll')) {
      out.push(`${el.tagName}#${el.id}.${el.className} right=${Math.round(r.right)}`);
    }
  }
  return out.slice(0, 8);
}"""


def _assert_nothing_sticks_out(page) -> None:
    """No element outside a scroll box reaches past the right edge (named if one does)."""
    assert page.evaluate(_STICKING_OUT) == [], page.url


def _assert_tables_scroll_in_their_box(page) -> None:
    """Each table sits in a box no wider than the page; a box that scrolls can be reached
    with the keyboard (and is named)."""
    width = page.viewport_size["width"]
    for box in page.locator("main .scroll").all():
        got = box.evaluate(
            "b => ({right: b.getBoundingClientRect().right, scrolls: b.scrollWidth > "
            "b.clientWidth + 1, tabindex: b.getAttribute('tabindex'), "
            "name: b.getAttribute('aria-label')})"
        )
        assert got["right"] <= width + 0.5, got
        if got["scrolls"]:
            assert got["tabindex"] == "0" and got["name"], got
    assert page.locator("main table").count() == page.locator("main .scroll table").count()


def test_every_page_fits_and_its_tables_scroll_in_their_own_box(page, site: Site) -> None:
    widths = [page.viewport_size]
    if page.viewport_size["width"] < 600:
        widths.append(NARROWEST)
    signed_in = None
    for name, user, path in PAGES:
        if user != signed_in:
            if signed_in:
                sign_out(page)
            if user:
                sign_in(page, site, user)
            signed_in = user
        for size in widths:
            page.set_viewport_size(size)
            page.goto(site.url + path.format(dataset=site.dataset_id))
            header = page.locator("header.site").bounding_box()
            assert header is not None and header["width"] <= size["width"]
            _assert_nothing_sticks_out(page)
            _assert_tables_scroll_in_their_box(page)
            check_page(page)
            shot(page, f"20-layout-{name}-{size['width']}")


def test_skip_link_shows_above_the_header_and_leads_to_the_results(page, site: Site) -> None:
    page.goto(f"{site.url}/ui/search?q=health")
    name_before = page.locator(".site-name").bounding_box()
    page.keyboard.press("Tab")
    assert active_matches(page, "a.skip")
    skip = page.locator("a.skip")
    assert skip.is_visible()
    box, name = skip.bounding_box(), page.locator(".site-name").bounding_box()
    assert box["width"] > 40 and box["height"] > 16 and box["y"] >= 0
    assert not boxes_overlap(box, name), (box, name)
    assert name["y"] > name_before["y"]  # it pushes the header down, never covers it
    assert skip.inner_text() == "Skip to results"
    check_page(page)
    shot(page, "21-skip-link")
    page.keyboard.press("Enter")
    presses = 0
    while presses < 10 and not active_matches(page, ".hit:first-child h3 a"):
        page.keyboard.press("Tab")
        presses += 1
    assert active_matches(page, ".hit:first-child h3 a")
    assert presses <= 3, f"{presses} Tab presses from the skip link to the first result"
    shot(page, "22-first-result-focused")


def test_the_focus_ring_stands_out_on_every_background(page, site: Site) -> None:
    """Tab through the header, the search form and the results: every focused element has
    a solid ring of at least 2 px whose colour has 3:1 against what is behind it, against
    white and against the header's background."""
    sign_in(page, site, "dev")
    page.goto(f"{site.url}/ui/search?q=health")
    header_bg = page.locator("header.site").evaluate("h => getComputedStyle(h).backgroundColor")
    from tests.web.focus import parse_rgb

    head = parse_rgb(header_bg)
    seen = set()
    for _ in range(14):
        page.keyboard.press("Tab")
        ring = focus_ring(page)
        seen.add(ring.element.split(".")[0].split("#")[0])
        assert ring.style == "solid" and ring.width >= 2, ring
        assert contrast(ring.colour, ring.behind) >= 3, ring
        if not active_matches(page, "a.skip"):  # the skip link draws its ring inside itself
            assert contrast(ring.colour, WHITE) >= 3, ring
            assert contrast(ring.colour, head) >= 3, ring
    assert {"a", "input", "select", "button"} <= seen
    page.locator("#q").focus()
    check_page(page)
    shot(page, "23-focus-ring")
