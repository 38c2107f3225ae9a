"""Factory staff edit a lab's services, procedure steps and prohibited purposes in Chromium."""

from __future__ import annotations

import re

from tests.web.conftest import LAB, Site, shot, sign_in

HOSTILE = "<script>alert('step')</script>"


def test_staff_edit_services_procedure_and_prohibited_purposes(page, site: Site) -> None:
    sign_in(page, site, "staffer")
    page.goto(f"{site.url}/ui/staff")
    form = page.locator(f"#edit-{LAB}")
    boxes = form.locator("input[name=services], input[name=prohibited_purposes]")
    for i in range(boxes.count()):
        boxes.nth(i).uncheck()
    form.locator("input[name=services][value=Cleaning]").check()
    form.locator("input[name=services][value=SyntheticData]").check()
    form.locator("input[name=prohibited_purposes][value=commercial]").check()
    steps = (
        "Sign the data use agreement\n"
        f"SecureProcessingEnvironment: Obtain a data permit {HOSTILE}\n"
        "Nonsense: kept as a plain step\n"
    )
    form.locator("textarea[name=procedure]").fill(steps)
    shot(page, "10-staff-edit-lab")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ui/staff\?saved="))

    # The page shows what was saved; the script in a step is text, never run.
    form = page.locator(f"#edit-{LAB}")
    assert form.locator("input[name=services][value=Cleaning]").is_checked()
    assert form.locator("input[name=services][value=SyntheticData]").is_checked()
    assert form.locator("input[name=prohibited_purposes][value=commercial]").is_checked()
    assert not form.locator("input[name=prohibited_purposes][value=ai-training]").is_checked()
    text = form.locator("textarea[name=procedure]").input_value()
    assert f"SecureProcessingEnvironment: Obtain a data permit {HOSTILE}" in text
    assert page.dialogs == []  # type: ignore[attr-defined]
    shot(page, "11-staff-lab-saved")

    # The JSON API reads the same lab back: the changes are real, the factory unchanged.
    lab = page.request.get(f"{site.url}/labs/{LAB}").json()
    assert lab["services"] == ["Cleaning", "SyntheticData"]
    assert lab["prohibited_purposes"] == ["commercial"]
    assert [(s["label"], s["applies_to"]) for s in lab["procedure"]] == [
        ("Sign the data use agreement", None),
        (f"Obtain a data permit {HOSTILE}", "SecureProcessingEnvironment"),
        ("Nonsense: kept as a plain step", None),
    ]


def test_lab_edits_need_csrf_and_the_labs_own_factory(page, site: Site) -> None:
    sign_in(page, site, "staffer")
    page.goto(f"{site.url}/ui/staff")
    csrf = page.locator(f"#edit-{LAB} input[name=csrf]").input_value()
    before = page.request.get(f"{site.url}/labs/{LAB}").json()

    forged = page.request.post(
        f"{site.url}/ui/staff/labs/{LAB}",
        form={"csrf": "forged", "name": "Hijacked", "prohibited_purposes": "ai-training"},
        max_redirects=0,
    )
    assert forged.status == 403
    assert page.request.get(f"{site.url}/labs/{LAB}").json() == before

    labs = page.request.get(f"{site.url}/labs").json()["items"]
    other = next(x for x in labs if x["factory"] != before["factory"])
    denied = page.request.post(
        f"{site.url}/ui/staff/labs/{other['id']}",
        form={"csrf": csrf, "name": "Hijacked", "services": "Cleaning"},
        max_redirects=0,
    )
    assert denied.status == 403
    assert page.request.get(f"{site.url}/labs/{other['id']}").json()["name"] == other["name"]
