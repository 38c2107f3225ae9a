"""Forms that forgive, in Chromium at 390 px and 1366 px: each problem next to its field,
every other value kept, a confirmation after saving (issue 15)."""

from __future__ import annotations

import re

from tests.web.a11y import check_page
from tests.web.conftest import LAB, Site, shot, sign_in, sign_out


def _focused_id(page) -> str:
    return str(page.evaluate("() => document.activeElement && document.activeElement.id"))


def test_staff_fix_a_bad_country_and_see_the_lead_time_in_words(page, site: Site) -> None:
    sign_in(page, site, "staffer")
    page.goto(f"{site.url}/ui/staff")
    form = page.locator(f"#edit-{LAB}")
    form.locator(f"#name-{LAB}").fill("AIFF health lab")
    form.locator("input[name=services][value=Pooling]").check()
    form.locator(f"#countries-{LAB}").fill("DE, Germany, FR")
    form.locator(f"#lead-{LAB}").fill("two weeks")
    form.locator(f"#fees-{LAB}").fill("free for research")
    check_page(page)
    shot(page, "30-lab-edit-bad-country")
    form.locator("button[type=submit]").click()

    # The problem is next to the country field; the summary on top has the focus.
    page.wait_for_selector(f"#countries-{LAB}-error")
    assert "'Germany' is not a country code" in page.inner_text(f"#countries-{LAB}-error")
    country = page.locator(f"#countries-{LAB}")
    assert country.get_attribute("aria-invalid") == "true"
    assert f"countries-{LAB}-error" in (country.get_attribute("aria-describedby") or "")
    page.wait_for_function(f"document.activeElement.id === 'errors-{LAB}'")
    assert page.locator(f"#errors-{LAB} a").get_attribute("href") == f"#countries-{LAB}"
    # Every other edit is still there.
    form = page.locator(f"#edit-{LAB}")
    assert form.locator(f"#name-{LAB}").input_value() == "AIFF health lab"
    assert form.locator(f"#lead-{LAB}").input_value() == "two weeks"
    assert form.locator(f"#fees-{LAB}").input_value() == "free for research"
    assert form.locator("input[name=services][value=Pooling]").is_checked()
    check_page(page)
    shot(page, "31-lab-edit-error-next-to-field")

    # Following the summary's link lands on the field; fix it and save.
    page.click(f"#errors-{LAB} a")
    country.fill("DE, FR")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ui/staff\?saved="))
    assert page.inner_text("#saved") == "Saved AIFF health lab."
    assert page.get_attribute("#saved", "role") == "status"
    assert page.locator(f"#lead-{LAB}").input_value() == "2 weeks"
    assert page.locator(f"#countries-{LAB}").input_value() == "DE, FR"
    assert page.locator("[aria-invalid=true]").count() == 0
    check_page(page)
    shot(page, "32-lab-saved")
    lab = page.request.get(f"{site.url}/labs/{LAB}").json()
    assert (lab["lead_time_days"], lab["eligible_countries"]) == (14, ["DE", "FR"])
    sign_out(page)


def test_staff_create_a_lab(page, site: Site) -> None:
    sign_in(page, site, "staffer")
    page.goto(f"{site.url}/ui/staff")
    page.click("#new-lab-link")
    page.wait_for_selector("#new-lab")
    check_page(page)
    shot(page, "33-lab-new")
    lab_id = f"aiff-new-{page.viewport_name}"  # type: ignore[attr-defined]
    page.fill("#id-new", "Not an id!")
    page.fill("#name-new", "AIFF imaging lab")
    page.check("#new-lab input[name=access_modes][value=SecureProcessingEnvironment]")
    page.fill("#lead-new", "drei Wochen")
    page.click("#new-lab button[type=submit]")
    page.wait_for_selector("#id-new-error")
    assert "is not a valid id" in page.inner_text("#id-new-error")
    assert page.locator("#name-new").input_value() == "AIFF imaging lab"
    assert page.locator("#lead-new").input_value() == "drei Wochen"
    check_page(page)
    shot(page, "34-lab-new-error")
    page.fill("#id-new", lab_id)
    page.click("#new-lab button[type=submit]")
    page.wait_for_url(re.compile(r"/ui/staff\?created="))
    assert page.inner_text("#saved") == "Created AIFF imaging lab."
    assert page.locator(f"#lead-{lab_id}").input_value() == "3 weeks"
    check_page(page)
    shot(page, "35-lab-created")
    created = page.request.get(f"{site.url}/labs/{lab_id}").json()
    assert created["factory"] == page.request.get(f"{site.url}/labs/{LAB}").json()["factory"]
    sign_out(page)


def _ask_for_access(page, site: Site) -> None:
    page.goto(f"{site.url}/ui/datasets/{site.dataset_id}/request?lab={LAB}")
    page.select_option("#org_type", "research")
    page.fill("#country", "DE")
    page.select_option("#purpose", "academic-research")
    page.fill("#comment", "Evaluating a triage model")
    page.click("#request-form button[type=submit]")


def _withdraw_open_requests(page, site: Site) -> None:
    auth = {"Authorization": f"Bearer {site.tokens['dev']}"}
    mine = page.request.get(f"{site.url}/access-requests", headers=auth).json()["items"]
    for r in mine:
        if r["state"] in ("submitted", "in_review") and r["lab"] == LAB:
            page.request.post(f"{site.url}/access-requests/{r['id']}/withdraw", headers=auth)


def test_a_second_request_is_refused_with_a_link_to_the_open_one(page, site: Site) -> None:
    _withdraw_open_requests(page, site)
    sign_in(page, site, "dev")
    _ask_for_access(page, site)
    page.wait_for_selector("#done")
    assert "sent" in page.inner_text("#done")
    first = page.url.split("?")[0]
    _ask_for_access(page, site)
    page.wait_for_selector("#open-request")
    assert "already have an open request" in page.inner_text("#request-error")
    assert page.locator("#comment").input_value() == "Evaluating a triage model"
    check_page(page)
    shot(page, "36-request-duplicate")
    page.click("#open-request")
    page.wait_for_selector("#state")
    assert page.url.split("?")[0] == first
    sign_out(page)


def test_a_rejection_needs_a_reason(page, site: Site) -> None:
    _withdraw_open_requests(page, site)
    sign_in(page, site, "dev")
    _ask_for_access(page, site)
    page.wait_for_selector("#done")
    request_url = page.url.split("?")[0]
    sign_out(page)
    sign_in(page, site, "staffer")
    page.goto(request_url)
    page.click("#action-reject")
    page.wait_for_selector("#comment-error")
    assert "reason to reject" in page.inner_text("#comment-error")
    assert page.get_attribute("#comment", "aria-invalid") == "true"
    assert page.inner_text("#state") == "submitted"
    page.wait_for_function("document.activeElement.id === 'errors-act'")
    check_page(page)
    shot(page, "37-reject-without-reason")
    page.fill("#comment", "No data permit attached")
    page.click("#action-reject")
    page.wait_for_function("document.querySelector('#state').innerText === 'rejected'")
    assert "rejected" in page.inner_text("#done")
    assert "No data permit attached" in page.inner_text(".comments")
    check_page(page)
    shot(page, "38-rejected-with-reason")
    sign_out(page)


def test_a_refused_sample_keeps_the_dataset_and_says_what_is_wrong(
    page, site: Site, tmp_path
) -> None:
    sign_in(page, site, "stew")
    page.goto(f"{site.url}/ui/steward")
    bad = tmp_path / "notes.txt"
    bad.write_bytes(b"\x00\x01 not a table")
    page.select_option("#s-dataset", site.dataset_id)
    page.set_input_files("#s-file", str(bad))
    page.click("#sample-form button")
    page.wait_for_selector("#s-file-error")
    assert "Parquet" in page.inner_text("#s-file-error")
    assert page.get_attribute("#s-file", "aria-invalid") == "true"
    assert page.locator("#s-dataset").input_value() == site.dataset_id
    page.wait_for_function("document.activeElement.id === 'errors-sample'")
    check_page(page)
    shot(page, "39-sample-refused")
    sign_out(page)


def test_a_steward_describes_a_dataset_in_the_form_and_saves_a_valid_record(
    page, site: Site
) -> None:
    sign_in(page, site, "stew")
    page.goto(f"{site.url}/ui/steward")
    # the publisher is the steward's organisation, by its name (no field to change it)
    publisher = page.inner_text("#f-publisher")
    assert publisher and not publisher.startswith("http")
    assert site.organisation in page.inner_text("#dataset-form")
    assert page.locator("#dataset-form [name=publisher]").count() == 0
    title = f"Bed occupancy ({page.viewport_name})"  # type: ignore[attr-defined]
    page.fill("#f-title", title)
    page.fill("#f-keywords", "beds, occupancy")
    page.check("#dataset-form input[name=themes][value=HEAL]")
    page.fill("#f-start", "2024-01-01")
    page.fill("#f-end", "2023-01-01")
    page.fill("#f-contact", "Data desk")
    page.fill("#f-email", "data@hospital.example")
    page.fill("#f-url", "https://hospital.example/beds.csv")
    page.click("#dataset-form button[type=submit]")
    page.wait_for_selector("#f-description-error")
    assert "describe the dataset" in page.inner_text("#f-description-error")
    assert "before its start" in page.inner_text("#f-end-error")
    assert page.locator("#f-title").input_value() == title
    assert page.locator("#dataset-form input[name=themes][value=HEAL]").is_checked()
    check_page(page)
    shot(page, "40-steward-form-errors")

    page.fill("#f-description", "Daily bed occupancy of a demo hospital.")
    page.fill("#f-end", "2024-12-31")
    page.click("#dataset-form button[type=submit]")
    page.wait_for_selector("#verdict")
    assert "conforms to DCAT-AP" in page.inner_text("#verdict")
    assert "Data desk" in page.inner_text("#record")
    assert not page.locator("#turtle pre").is_visible()  # the Turtle only on request
    assert "_:" not in page.locator("#turtle pre").text_content()
    check_page(page)
    shot(page, "41-steward-form-record")
    page.click("#turtle summary")
    assert page.locator("#turtle pre").is_visible()
    assert "dcat:Dataset" in page.inner_text("#turtle pre")
    page.click("#save")
    page.wait_for_selector("#saved")
    page.click("#saved + ul a")
    page.wait_for_selector("#title")
    assert page.inner_text("#title") == title
    shot(page, "42-steward-form-saved")
    sign_out(page)
