"""The search page as people use it: filters behind a button on phones, words instead of
codes, results in the visitor's language, German compounds and French accents."""

from __future__ import annotations

import json
import re
import urllib.request

from tests.web.a11y import NARROWEST, check_page
from tests.web.conftest import Site, shot

KLINIKUM = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://steward.example.org/dataset/klinikum-notaufnahmen> a dcat:Dataset ;
    dct:title "Klinikum Kassel: Notaufnahmen nach Wochentag 2024"@de ,
        "Kassel hospital: emergency admissions by weekday 2024"@en ;
    dct:description "Tägliche Notaufnahmen eines Demo-Klinikums."@de ,
        "Daily emergency admissions of a demo hospital."@en ;
    dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> ;
    dct:publisher <{org}> .
"""


def _phone(page) -> bool:
    return page.viewport_size["width"] < 600


def test_filters_fold_behind_their_button_on_phones_and_filter(page, site: Site) -> None:
    page.goto(f"{site.url}/ui/search?q=health")
    facets = page.locator("details#facets")
    summary = facets.locator("summary")
    before = int(page.inner_text("#total").split()[0])
    assert summary.inner_text() == "Filters"
    if _phone(page):
        assert facets.get_attribute("open") is None
        assert not facets.locator("a").first.is_visible()
        for size in (page.viewport_size, NARROWEST):
            page.set_viewport_size(size)
            check_page(page)
        shot(page, "30-filters-folded")
        summary.click()
    else:  # a column left of the results, open
        assert facets.get_attribute("open") is not None
        assert facets.bounding_box()["x"] < page.locator("#results").bounding_box()["x"]
    link = facets.locator("#facet-data_space + ul a").first
    assert link.is_visible()
    picked = re.sub(r" \(\d+\)$", "", link.inner_text())
    assert picked == "Health data space"  # a label, never the code
    check_page(page)
    shot(page, "31-filters-open")
    link.click()
    page.wait_for_url(re.compile(r"data_space=health"))
    after = int(page.inner_text("#total").split()[0])
    assert 0 < after <= before
    assert page.locator("details#facets summary").inner_text() == "Filters (1 active)"
    hits = page.locator(".hit")
    assert hits.count() == min(after, 20)
    for i in range(hits.count()):
        assert "Health data space" in hits.nth(i).locator(".badge.space").all_inner_texts()
    on = page.locator("#facets a.on")
    assert on.count() == 1 and on.get_attribute("aria-current") == "true"
    check_page(page)
    shot(page, "32-filtered")


def test_without_javascript_the_filters_are_open_after_the_results(site: Site) -> None:
    """The page as the server sends it (no script run): the results come first, the filters
    follow in an open <details> of plain links, the skip link leads to the results."""
    with urllib.request.urlopen(f"{site.url}/ui/search?q=health", timeout=30) as answer:
        html = answer.read().decode()
    assert '<details class="facets" id="facets" open>' in html
    assert html.index('id="results"') < html.index('id="facets"')
    assert '<a class="skip" href="#results">Skip to results</a>' in html
    assert re.search(r'<a href="/ui/search\?q=health&amp;data_space=health">', html)


def test_count_sort_badges_and_next_page_in_words(page, site: Site) -> None:
    page.goto(f"{site.url}/ui/search")
    total = page.inner_text("#total")
    assert re.fullmatch(r"\d+ datasets", total)
    assert page.locator("label[for=q]").is_visible()
    assert page.locator("label[for=sort]").inner_text() == "Sort by"
    assert page.locator("#sort option").all_inner_texts() == [
        "Best match",
        "Recently updated",
        "Title (A–Z)",
    ]
    assert page.locator(".badge.access.public").first.inner_text() == "Public"
    assert re.fullmatch(r"\d+ labs? may offer", page.locator(".badge.labs").first.inner_text())
    first = page.locator(".hit h3 a").all_inner_texts()
    check_page(page)
    shot(page, "33-all-datasets")
    nxt = page.locator("nav.pager a[rel=next]")
    assert nxt.inner_text() == "Next page"
    nxt.click()
    page.wait_for_url(re.compile(r"cursor="))
    assert set(page.locator(".hit h3 a").all_inner_texts()).isdisjoint(first)
    assert page.inner_text("#total") == total
    page.select_option("#sort", "title")
    page.click("form.searchbox button[type=submit]")
    page.wait_for_url(re.compile(r"sort=title"))
    titles = page.locator(".hit h3 a").all_inner_texts()
    assert titles == sorted(titles, key=str.casefold)
    check_page(page)


def _access_badges(page, site: Site, selector: str) -> list[tuple[str, str, str]]:
    """(dataset, its search badge, its dataset page badge) of the hits ``selector`` picks
    on the first page of every dataset."""
    page.goto(f"{site.url}/ui/search?sort=title")
    found = []
    for hit in page.locator(".hit").all():
        if hit.locator(selector).count():
            link = hit.locator("h3 a")
            found.append((link.get_attribute("href"), hit.locator(".badge.access").inner_text()))
    seen = []
    for href, text in found[:6]:
        page.goto(site.url + href)
        seen.append((href, text, page.locator("#title ~ .badges .badge.access").inner_text()))
    return seen


def test_a_public_access_badge_reads_as_on_the_dataset_page(page, site: Site) -> None:
    badges = _access_badges(page, site, ".badge.access.public")
    assert badges
    for href, on_search, on_page in badges:
        assert on_search == on_page == "Public", href


def test_every_access_badge_reads_as_on_the_dataset_page(page, site: Site) -> None:
    badges = _access_badges(page, site, ".badge.access:not(.public)")
    assert badges
    for href, on_search, on_page in badges:
        assert on_search == on_page, href


def test_german_browser_gets_german_titles_and_words(page, site: Site) -> None:
    page.set_extra_http_headers({"Accept-Language": "de-DE"})
    page.goto(f"{site.url}/ui/search?q=Nordhessen")
    assert page.get_attribute("html", "lang") == "de"
    assert page.inner_text("h1") == "Daten für KI finden"
    titles = page.locator(".hit h3 a").all_inner_texts()
    assert any(t.startswith("Krankenhausaufenthalte nach Hauptdiagnose") for t in titles), titles
    assert not any(t.startswith("Hospital stays by principal diagnosis") for t in titles)
    check_page(page)
    shot(page, "34-search-de")
    page.click("text=Krankenhausaufenthalte nach Hauptdiagnose")
    page.wait_for_selector("#title")
    assert page.inner_text("#title").startswith("Krankenhausaufenthalte nach Hauptdiagnose")


def test_french_browser_and_words_without_accents(page, site: Site) -> None:
    page.set_extra_http_headers({"Accept-Language": "fr-FR"})
    page.goto(f"{site.url}/ui/search?q=mosaique+estivale")
    assert page.get_attribute("html", "lang") == "fr"
    titles = page.locator(".hit h3 a").all_inner_texts()
    assert titles[:1] == ["Mosaïque estivale sans nuages Sentinel-2 L2A des Alpes, 2023"]
    page.goto(f"{site.url}/ui/search?q=dossiers+medicaux+electroniques")
    titles = page.locator(".hit h3 a").all_inner_texts()
    assert titles[:1] == [
        "Dossiers médicaux électroniques de soins primaires, cohorte Auvergne-Rhône-Alpes"
    ]
    check_page(page)
    shot(page, "35-search-fr")


def test_klinik_finds_a_klinikum(page, site: Site) -> None:
    """A steward's script registers a record titled "Klinikum …"; searching "Klinik" (and
    "Kliniken") finds it, in German for a German browser."""
    request = urllib.request.Request(
        f"{site.url}/datasets",
        data=KLINIKUM.format(org=site.organisation).encode(),
        headers={
            "Content-Type": "text/turtle",
            "Authorization": f"Bearer {site.tokens['stew']}",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 201
        assert json.loads(answer.read())["saved"]
    page.set_extra_http_headers({"Accept-Language": "de-DE"})
    for q in ("Klinik", "Kliniken", "klinikum"):
        page.goto(f"{site.url}/ui/search?q={q}")
        titles = page.locator(".hit h3 a").all_inner_texts()
        assert "Klinikum Kassel: Notaufnahmen nach Wochentag 2024" in titles, (q, titles)
    check_page(page)
    shot(page, "36-klinik-finds-klinikum")
