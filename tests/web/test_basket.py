"""The training basket journey in Chromium: collect datasets from search, see the answers,
export the AI Act summary, submit the grouped access requests and see their states."""

from __future__ import annotations

from tests.web.a11y import check_page
from tests.web.conftest import Site, shot, sign_in


def _add_from_search(page, site: Site, query: str, basket: str | None) -> None:
    page.goto(f"{site.url}/ui/search?q={query}")
    page.wait_for_selector(".hit")
    hit = page.locator(".hit").first
    if basket is not None:
        hit.locator("select[name=basket]").select_option(label=basket)
    hit.locator("text=Add to basket").click()
    page.wait_for_selector("#h-where")


def test_collect_see_the_answers_export_and_request_all(page, site: Site) -> None:
    sign_in(page, site, "dev")
    page.goto(f"{site.url}/ui/search?q=stork")
    page.wait_for_selector(".hit .basket-add")
    check_page(page)
    shot(page, "basket-01-search")

    # Two demo datasets from search: a public CC0 one, then the restricted synthetic EHRs.
    _add_from_search(page, site, "stork", None)
    basket_url = page.url
    assert "GPS tracks of migrating white storks" in page.inner_text("#datasets")
    _add_from_search(page, site, "synthetic+FHIR", "My training basket")
    assert page.url == basket_url
    assert page.locator("#datasets li").count() == 2

    # Who I am and what I train: the answers follow the profile.
    page.select_option("#b-org", "research")
    page.fill("#b-country", "DE")
    page.select_option("#b-purpose", "non-commercial-ai-training")
    page.fill("#b-model", "Demo-LM")
    page.fill("#b-version", "0.1")
    page.fill("#b-provider", "Demo AI Lab, ai@demo.example")
    page.check("input[name=modalities][value=text]")
    page.click(".basket-profile button[type=submit]")
    page.wait_for_selector("#cover")
    cover = page.inner_text("#cover")
    assert cover.startswith("Go to") and "lab" in cover
    assert "days" in page.inner_text("#lead-time")
    assert page.locator("#conflicts").count() == 1
    credits = page.inner_text("#credits")
    assert "Open Research Repository demo (fictional)" in credits and "CC0 1.0" in credits
    check_page(page)
    shot(page, "basket-02-answers")

    # The AI Act summary's Markdown export answers with the template's sections.
    href = page.get_attribute("#summary-md", "href")
    summary = page.request.get(f"{site.url}{href}")
    assert summary.ok and summary.headers["content-type"].startswith("text/markdown")
    text = summary.text()
    for heading in ("## 1. General information", "## 2. List of data sources", "## 3. Data"):
        assert heading in text
    assert "To be completed by the provider." in text
    assert "Demo-LM 0.1" in text and "Demo AI Lab, ai@demo.example" in text  # from the form

    # One step to ask: the restricted dataset's request, to the lab of the cover.
    page.fill("#b-comment", "Training a small research model.")
    page.click("text=Request access for all")
    page.wait_for_selector("#submission")
    assert page.inner_text("#submission").startswith("1 request sent")
    states = page.inner_text("#basket-requests")
    assert "Synthetic" in states and "submitted" in states.lower()
    check_page(page)
    shot(page, "basket-03-requested")

    # A commercial purpose: the non-commercial licence of the EHRs becomes a named conflict,
    # and the page says what changed since the last look.
    page.click("text=Who you are and what you train")
    page.select_option("#b-purpose", "commercial-ai-training")
    page.click(".basket-profile button[type=submit]")
    page.wait_for_selector("#changes")
    changes = page.inner_text("#changes")
    assert "new conflict: non-commercial (Synthetic electronic health records" in changes
    assert "may offer under conditions → may not offer" in changes
    conflicts = page.inner_text("#conflicts")
    assert "non-commercial only" in conflicts and "CC BY-NC 4.0" in conflicts
    check_page(page)
    shot(page, "basket-04-changes")

    # My baskets lists it.
    page.goto(f"{site.url}/ui/baskets")
    assert page.locator(f"#baskets a[href='{basket_url.removeprefix(site.url)}']").count() == 1
    check_page(page)
    shot(page, "basket-05-mine")
