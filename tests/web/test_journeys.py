"""A newcomer's journeys end to end in a real Chromium against a real server."""

from __future__ import annotations

import re

from tests.web.conftest import LAB, Site, shot, sign_in, sign_out, upload_sample

DRAFT = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://steward.example.org/dataset/ward-occupancy> a dcat:Dataset ;
    dct:title "Ward occupancy, demo hospital 2024"@en ;
    dct:publisher <{org}> .
"""
FIX = '    dct:description "Daily ward occupancy of a demo hospital."@en ;\n'
CSV = "patient_id,age,diagnosis\n1,54,E11\n2,61,I10\n3,47,J45\n"


def test_search_dataset_sample_offers_request_approve_then_rows(page, site: Site, tmp_path):
    # Search: query box, facets, results with badges.
    page.goto(f"{site.url}/ui/search?q=synthetic+FHIR")
    page.wait_for_selector(".hit")
    assert page.locator(".facets h2").count() > 0
    assert page.locator(".hit .badge.space").first.inner_text() == "Health data space"
    assert page.locator(".hit .badge.labs").count() > 0
    shot(page, "01-search")

    # The steward attaches a sample to the restricted dataset.
    sign_in(page, site, "stew")
    assert "3 rows" in upload_sample(page, site, tmp_path / "sample.csv", CSV)
    sign_out(page)

    # The developer opens the dataset: metadata, quality, the sample's schema but no rows.
    sign_in(page, site, "dev")
    page.goto(f"{site.url}/ui/search?q=synthetic+FHIR")
    page.click(f"a[href='/ui/datasets/{site.dataset_id}']")
    page.wait_for_selector("#title")
    assert page.locator("#quality meter").count() == 6
    assert "request access" in page.inner_text("#sample-access")
    assert page.locator("#sample-rows").count() == 0
    jsonld = page.locator("script[type='application/ld+json']").text_content()
    assert '"@type": "Dataset"' in jsonld
    shot(page, "02-dataset-restricted")

    # Offers: verdicts with reasons and terms; request access from one lab.
    offer = page.locator(f".offer[data-lab='{LAB}']")
    assert offer.locator(".badge.verdict").inner_text() != "may not offer"
    offer.locator("summary").click()
    assert offer.locator("details li").count() > 0
    shot(page, "03-offers")
    offer.locator("text=Request access").click()
    page.select_option("#org_type", "research")
    page.fill("#country", "DE")
    page.select_option("#purpose", "academic-research")
    page.fill("#comment", "Evaluating a triage model")
    shot(page, "04-request-form")
    page.click("text=Send request")
    page.wait_for_selector("#state")
    assert page.inner_text("#state") == "submitted"
    request_url = page.url
    shot(page, "05-request-submitted")
    sign_out(page)

    # Factory staff review and approve it.
    sign_in(page, site, "staffer")
    page.goto(f"{site.url}/ui/staff")
    assert page.locator("#pending tr").count() >= 2
    shot(page, "06-staff")
    page.goto(request_url)
    page.click("#action-review")
    page.wait_for_selector("#action-approve")
    page.fill("#comment", "Permit checked")
    page.click("#action-approve")
    page.wait_for_function("document.querySelector('#state').innerText === 'approved'")
    shot(page, "07-request-approved")
    sign_out(page)

    # The developer now sees the restricted sample's rows, statistics and paging controls.
    sign_in(page, site, "dev")
    page.goto(f"{site.url}/ui/datasets/{site.dataset_id}")
    page.wait_for_selector("#sample-rows")
    assert page.locator("#sample-rows tbody tr").count() == 3
    assert "E11" in page.inner_text("#sample-rows")
    assert page.locator("svg.chart").count() >= 1
    page.select_option("#f-column", "age")
    page.select_option("#f-op", "gt")
    page.fill("#f-value", "50")
    page.click("#filter-add")
    page.wait_for_url(re.compile(r"fcol=age"))
    assert page.locator("#sample-rows tbody tr").count() == 2
    assert page.inner_text("#sample-count") == "2 of 3 rows match"
    shot(page, "08-dataset-granted")
    sign_out(page)
    assert page.dialogs == []


def test_steward_registers_with_an_error_fixes_it_and_saves(page, site: Site):
    sign_in(page, site, "stew")
    page.goto(f"{site.url}/ui/steward")
    page.fill("#document", DRAFT.format(org=site.organisation))
    page.click("#upload-form button")
    page.wait_for_selector("#verdict")
    assert "does not conform" in page.inner_text("#verdict")
    assert "description" in page.inner_text("#findings")
    assert page.locator("#save").count() == 0
    shot(page, "09-steward-report-error")

    text = page.input_value("#document").replace("    dct:publisher", FIX + "    dct:publisher")
    page.fill("#document", text)
    page.click("#revalidate")
    page.wait_for_selector("#save")
    assert "conforms" in page.inner_text("#verdict")
    shot(page, "10-steward-report-ok")
    page.click("#save")
    page.wait_for_selector("#saved")
    page.click("#saved + ul a")
    page.wait_for_selector("#title")
    assert page.inner_text("#title") == "Ward occupancy, demo hospital 2024"
    page.goto(f"{site.url}/ui/steward")
    assert "ward-occupancy" in page.inner_text("#my-datasets")
    shot(page, "11-steward-overview")
    sign_out(page)


def test_a_script_title_is_text_and_never_runs(page, site: Site):
    hostile = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
    sign_in(page, site, "stew")
    page.goto(f"{site.url}/ui/steward")
    page.fill("#f-title", hostile)
    page.fill("#f-description", "</script><script>alert(2)</script>")
    page.fill("#f-url", "https://steward.example.org/data")
    page.click("#dataset-form button")
    page.wait_for_selector("#save")
    page.click("#save")
    page.wait_for_selector("#saved")
    page.click("#saved + ul a")
    page.wait_for_selector("#title")
    assert page.inner_text("#title") == hostile
    assert page.locator("#description").inner_text() == "</script><script>alert(2)</script>"
    shot(page, "12-hostile-title")
    page.goto(f"{site.url}/ui/search?q=xss")
    page.wait_for_selector(".hit")
    assert hostile in page.inner_text(".hits")
    page.wait_for_timeout(300)
    assert page.dialogs == []
    sign_out(page)
