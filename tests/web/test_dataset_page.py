"""The dataset page in a real Chromium: the answer for the visitor first, then the record.

Each step asserts what a person sees, then checks the page (axe-core, no sideways scroll)
and keeps a screenshot per viewport.
"""

from __future__ import annotations

import re

import pytest

from tests.web.a11y import NARROWEST, assert_fits, check_page
from tests.web.conftest import Site, shot, sign_in

#: Codes that must never reach a person (each matched as a whole word).
CODES = (
    "HEAL",
    "TECH",
    "BIN",
    "CSV_",
    "CC_BY_4_0",
    "CC_BYNC_4_0",
    "DEU",
    "SecureProcessingEnvironment",
    "FederatedExecution",
    "non_public",
    "NON_PUBLIC",
    "RESTRICTED",
    "health-data-permit",
    "may_offer",
    "may_not_offer",
    "academic-research",
    "PERSONAL_DATA",
    "QUARTERLY",
)


def _health_id(page, site: Site, prefix: str) -> str:
    answer = page.request.get(f"{site.url}/datasets?source=demo-health&limit=100")
    assert answer.ok
    return next(i["id"] for i in answer.json()["items"] if i["id"].startswith(prefix))


def _main_text(page) -> str:
    """Everything the page says in its main part, folded parts included."""
    return str(page.evaluate("() => document.querySelector('main').textContent"))


def _above(page, first: str, then: str) -> bool:
    return bool(
        page.evaluate(
            """([a, b]) => !!(document.querySelector(a).compareDocumentPosition(
                document.querySelector(b)) & Node.DOCUMENT_POSITION_FOLLOWING)""",
            [first, then],
        )
    )


@pytest.fixture
def fresh(page):
    """A visitor who has stated nothing yet (the browser is shared by this module's tests)."""
    page.context.clear_cookies()
    return page


def test_the_answer_comes_first_grouped_by_verdict(fresh, site: Site):
    page = fresh
    page.goto(f"{site.url}/ui/datasets/{site.dataset_id}")
    summary = page.locator("#verdict-summary")
    assert re.match(r"\d+ data labs? may offer this dataset", summary.inner_text())
    assert "Tell us who you are" in summary.inner_text()
    for later in ("#record", "#distributions", "#quality", "#sample"):
        assert _above(page, "#verdict-summary", later), later
    box = summary.bounding_box()
    assert box is not None and box["y"] < page.locator("#h-record").bounding_box()["y"]
    # labs grouped by verdict, best first; may-not-offer folded away under its count
    groups = page.locator(".verdict-group h3").all_inner_texts()
    assert groups and all(re.search(r"\(\d+\)$", g) for g in groups)
    order = ["May offer", "May offer under conditions", "Needs review"]
    names = [g.rsplit(" (", 1)[0] for g in groups]
    assert names == sorted(names, key=order.index)
    refused = page.locator("details#refused")
    count = refused.locator(".offer").count()
    assert count > 0
    assert refused.locator("> summary").inner_text() == f"May not offer: {count} data labs"
    assert refused.get_attribute("open") is None
    assert not refused.locator(".offer").first.is_visible()
    check_page(page)
    shot(page, "dataset-01-answer-first")
    refused.locator("> summary").click()
    assert refused.locator(".offer").first.is_visible()
    assert refused.locator("text=Request access").count() == 0
    assert refused.locator(".offer").first.locator("ul.concerns li").count() >= 1
    check_page(page)
    shot(page, "dataset-02-may-not-offer-unfolded")


def test_the_profile_is_kept_after_checking_and_remembered_on_another_page(fresh, site: Site):
    page = fresh
    page.goto(f"{site.url}/ui/datasets/{site.dataset_id}")
    page.select_option("#org_type", "research")
    page.select_option("#country", "DE")
    page.select_option("#purpose", "academic-research")
    page.click("text=Check my terms")
    page.wait_for_url(re.compile(r"org_type=research"))
    # the form keeps what was chosen, and the answer is for it
    assert page.input_value("#org_type") == "research"
    assert page.input_value("#country") == "DE"
    assert page.input_value("#purpose") == "academic-research"
    summary = page.inner_text("#verdict-summary")
    assert "to a research organisation in Germany for academic research" in summary
    assert re.search(r"The quickest: .+, about \d+ (days|weeks)\.", summary)
    # each lab that may offer: access mode in words, steps, lead time, terms, request link
    offer = page.locator(".verdict-group .offer").first
    assert "Access: secure processing environment" in offer.inner_text()
    assert offer.locator("ol.steps li").count() >= 2
    assert re.search(r"Lead time: about \d+", offer.inner_text())
    assert "You must: credit the source" in offer.locator("ul.obligations").inner_text()
    assert "Not allowed: commercial use" in offer.locator("ul.obligations").inner_text()
    assert offer.locator("a.button", has_text="Request access").count() == 1
    check_page(page)
    shot(page, "dataset-03-profile-checked")

    # another dataset: the same profile, remembered, without asking again
    other = _health_id(page, site, "hospital-stays-nordhessen")
    page.goto(f"{site.url}/ui/datasets/{other}")
    assert "org_type=" not in page.url
    assert page.input_value("#org_type") == "research"
    assert page.input_value("#country") == "DE"
    assert page.input_value("#purpose") == "academic-research"
    assert "research organisation in Germany" in page.inner_text("#verdict-summary")
    cookie = next(c for c in page.context.cookies() if c["name"] == "datalab_profile")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    check_page(page)
    shot(page, "dataset-04-profile-remembered")

    # asking a lab for access: the request form starts from the same profile
    sign_in(page, site, "dev")
    page.goto(f"{site.url}/ui/datasets/{site.dataset_id}")
    page.locator(".verdict-group .offer a.button").first.click()
    page.wait_for_selector("#comment")
    assert page.input_value("#org_type") == "research"
    assert page.input_value("#country") == "DE"
    assert page.input_value("#purpose") == "academic-research"
    # (the request form is the request pages' own; its layout is checked by their journeys)
    shot(page, "dataset-05-request-form-prefilled")
    page.goto(f"{site.url}/ui/datasets/{site.dataset_id}")

    # an empty form forgets it
    for field in ("#org_type", "#country", "#purpose"):
        page.select_option(field, "")
    page.click("text=Check my terms")
    page.wait_for_url(re.compile(r"org_type=&"))
    page.goto(f"{site.url}/ui/datasets/{site.dataset_id}")
    assert page.input_value("#org_type") == ""
    assert "Tell us who you are" in page.inner_text("#verdict-summary")


def test_codes_read_as_labels(fresh, site: Site):
    page = fresh
    for ident in (site.dataset_id, _health_id(page, site, "hospital-stays-nordhessen")):
        page.goto(f"{site.url}/ui/datasets/{ident}?org_type=research&country=DE")
        text = _main_text(page)
        shown = [c for c in CODES if re.search(rf"(?<![\w/-]){re.escape(c)}(?![\w/-])", text)]
        assert shown == [], f"codes shown on {page.url}: {shown}"
    # one access label: the search hit's badge reads as the dataset page's
    page.goto(f"{site.url}/ui/datasets/{site.dataset_id}")
    badge = page.inner_text(".badges .badge.access")
    page.goto(f"{site.url}/ui/search?q=synthetic+FHIR")
    hit = page.locator(".hit", has=page.locator(f"a[href='/ui/datasets/{site.dataset_id}']"))
    assert hit.locator(".badge.access").inner_text() == badge == "Health data permit (HDAB)"
    page.goto(f"{site.url}/ui/datasets/{_health_id(page, site, 'hospital-stays-nordhessen')}")
    # what the codes became
    assert "Health" in page.inner_text("#themes")
    assert page.inner_text("#languages") == "German"
    assert "Health data permit (HDAB)" in page.inner_text(".badges")
    assert "binary file (Apache Parquet)" in page.inner_text("#distributions")
    check_page(page)
    shot(page, "dataset-06-labels")


def test_the_record_of_a_health_dataset(fresh, site: Site):
    page = fresh
    page.goto(f"{site.url}/ui/datasets/{_health_id(page, site, 'hospital-stays-nordhessen')}")
    assert page.inner_text("#temporal") == "1 January 2015 – 31 December 2023"
    assert page.inner_text("#spatial") == "Germany"
    assert "4,812,330 records" in page.inner_text("#size")
    mail = page.locator("dd.contact a[href^='mailto:']").first
    assert mail.get_attribute("href") == f"mailto:{mail.inner_text()}"
    assert "European Health Data Space Regulation (EU) 2025/327" in page.inner_text("#legislation")
    assert page.inner_text("#legal-basis") == "public interest"
    assert "Gesundheitsdatenzugangsstelle Demo Deutschland" in page.inner_text("#hdab")
    assert "Electronic health records" in page.inner_text("#record")
    assert "Provenance" in page.inner_text("#record")
    # an offer that needs review says openly what a person must look at
    for offer in page.locator(".offer.needs_review").all():
        assert offer.locator("ul.concerns li").count() >= 1
    # the distributions' table scrolls inside its own box; the page never sideways
    assert page.locator("#distributions .scroll table").count() == 1
    check_page(page)
    shot(page, "dataset-07-health-record")
    page.set_viewport_size(NARROWEST)
    assert_fits(page)
    shot(page, "dataset-08-narrowest")


def test_german_visitors_get_the_german_title_and_labels(fresh, site: Site):
    page = fresh
    ident = _health_id(page, site, "hospital-stays-nordhessen")
    page.set_extra_http_headers({"Accept-Language": "de-DE"})
    page.goto(f"{site.url}/ui/datasets/{ident}")
    assert page.inner_text("#title").startswith("Krankenhausaufenthalte nach Hauptdiagnose")
    assert page.get_attribute("html", "lang") == "de"
    assert page.inner_text("#themes") == "Gesundheit"
    assert page.inner_text("#languages") == "Deutsch"
    assert page.inner_text("#spatial") == "Deutschland"
    assert page.inner_text("#temporal") == "1. Januar 2015 – 31. Dezember 2023"
    check_page(page)
    shot(page, "dataset-09-german")
    # a record with no German title: the English one, and lang="en"
    page.goto(f"{site.url}/ui/datasets/{_health_id(page, site, 'primary-care-ehr-auvergne')}")
    assert page.inner_text("#title").startswith("Primary-care electronic health records")
    assert page.get_attribute("html", "lang") == "en"
