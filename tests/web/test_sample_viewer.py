"""The sample viewer in Chromium: the steward uploads a sample of their restricted dataset and
reads its rows, sorts by a header, builds a filter, searches within rows and reads a column's
values from the keyboard; a developer without a grant sees neither rows nor counts."""

from __future__ import annotations

import re

from tests.web.a11y import AXE, TAGS, check_page, describe
from tests.web.conftest import Site, shot, sign_in, sign_out, upload_sample

CSV = (
    "patient_id,age,diagnosis,admitted\n"
    "1,54,E11 diabetes,2024-03-02\n"
    "2,61,I10 hypertension,2024-01-15\n"
    "3,47,J45 Asthma,2024-02-20\n"
)


def _ages(page) -> list[str]:
    """The age column of the rows shown, top to bottom."""
    index = page.locator("#sample-rows thead th").all_inner_texts()
    column = next(i for i, text in enumerate(index) if text.strip().startswith("age"))
    cells = page.locator(f"#sample-rows tbody tr td:nth-child({column + 1})")
    return cells.all_inner_texts()


def _check(page) -> None:
    """The sample section on its own (axe on ``#sample``; nothing in it wider than the
    page), then the whole page (:func:`check_page`), so a failure says whose it is."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    violations = page.evaluate(
        "async (tags) => (await axe.run('#sample', {runOnly: {type: 'tag', values: tags}}))"
        ".violations",
        TAGS,
    )
    assert violations == [], f"axe-core on the sample section:\n{describe(violations)}"
    wider = page.evaluate(
        "() => { const s = document.querySelector('#sample');"
        " return s.scrollWidth - s.clientWidth; }"
    )
    assert wider <= 0, f"the sample section is {wider}px wider than the page"
    check_page(page)


def test_the_steward_explores_their_sample_and_a_developer_sees_no_rows(
    page, site: Site, tmp_path
) -> None:
    # The steward attaches a sample to their organisation's restricted dataset …
    sign_in(page, site, "stew")
    assert "3 rows" in upload_sample(page, site, tmp_path / "sample.csv", CSV)

    # … and sees its rows on the dataset page, told why.
    page.goto(f"{site.url}/ui/datasets/{site.dataset_id}")
    page.wait_for_selector("#sample-rows")
    assert "you steward this dataset" in page.inner_text("#sample-access")
    assert page.locator("#sample-rows tbody tr").count() == 3
    assert page.inner_text("#sample-count") == "3 rows"
    assert _ages(page) == ["54", "61", "47"]
    age = page.locator("#sample-rows thead th").nth(1)
    assert age.locator(".cap").first.inner_text() == "47 – 61"
    assert "3 distinct" in age.inner_text()
    _check(page)
    shot(page, "sample-01-steward-rows")

    # Clicking a header sorts by it; clicking again reverses; aria-sort says which.
    page.click("#sample-rows thead a.sort:has-text('age')")
    page.wait_for_url(re.compile(r"sort=age"))
    assert _ages(page) == ["47", "54", "61"]
    assert page.locator("#sample-rows thead th").nth(1).get_attribute("aria-sort") == "ascending"
    _check(page)
    shot(page, "sample-02-sorted-ascending")
    page.click("#sample-rows thead a.sort:has-text('age')")
    page.wait_for_url(re.compile(r"sort=-age"))
    assert _ages(page) == ["61", "54", "47"]
    assert page.locator("#sample-rows thead th").nth(1).get_attribute("aria-sort") == "descending"
    assert page.locator("#sample-rows thead th[aria-sort]").count() == 1
    _check(page)
    shot(page, "sample-03-sorted-descending")

    # The filter builder offers the column's conditions and a field of its type; the second
    # value only for "between", no value for "is empty".
    page.select_option("#f-column", "admitted")
    assert page.get_attribute("#f-value", "type") == "date"
    assert not page.is_visible("#f-value2")
    page.select_option("#f-op", "between")
    assert page.is_visible("#f-value2")
    page.select_option("#f-op", "isnull")
    assert not page.is_visible("#f-value")
    page.select_option("#f-column", "age")
    offered = page.locator("#f-op option").all_inner_texts()
    assert "greater than (>)" in offered
    assert "contains" not in offered  # a number column: no text conditions
    assert page.get_attribute("#f-value", "type") == "number"
    page.select_option("#f-op", "gt")
    page.fill("#f-value", "50")
    page.click("#filter-add")
    page.wait_for_url(re.compile(r"fcol=age&fop=gt&fval=50"))
    assert page.inner_text("#sample-count") == "2 of 3 rows match"
    assert _ages(page) == ["61", "54"]  # the sort stays
    assert page.locator(".chip").all_inner_texts()[0].startswith("age greater than (>) 50")
    page.select_option("#f-column", "diagnosis")
    assert "contains" in page.locator("#f-op option").all_inner_texts()
    page.select_option("#f-op", "contains")
    page.fill("#f-value", "E11")
    page.click("#filter-add")
    page.wait_for_function("document.querySelector('#sample-count').innerText.startsWith('1 of')")
    assert page.locator(".chip").count() == 2
    _check(page)
    shot(page, "sample-04-filters")

    # Removing a chip takes that filter away.
    page.click(".chip:has-text('diagnosis') .chip-remove")
    page.wait_for_function("document.querySelectorAll('.chip').length === 1")
    assert page.inner_text("#sample-count") == "2 of 3 rows match"
    page.click(".chip .chip-remove")
    page.wait_for_function("document.querySelectorAll('.chip').length === 0")
    assert page.inner_text("#sample-count") == "3 rows"

    # Search within rows: any text column, ignoring case.
    page.fill("#sample-q", "asthma")
    page.click("#sample-q-go")
    page.wait_for_url(re.compile(r"q=asthma"))
    assert page.inner_text("#sample-count") == "1 of 3 rows match for “asthma”"
    assert page.locator("#sample-rows tbody tr").count() == 1
    assert "J45 Asthma" in page.inner_text("#sample-rows tbody")
    _check(page)
    shot(page, "sample-05-search")

    # A column's values, from the keyboard: Tab from its header to its list, Enter opens it.
    diagnosis = page.locator("#sample-rows thead th").nth(2)
    values = diagnosis.locator("details.col-values")
    assert not values.locator("li").first.is_visible()
    diagnosis.locator("a.sort").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent")
    assert focused == "Most frequent values of diagnosis"
    page.keyboard.press("Enter")
    assert values.get_attribute("open") is not None
    listed = values.locator("li").all_inner_texts()
    assert sorted(listed) == ["E11 diabetes: 1", "I10 hypertension: 1", "J45 Asthma: 1"]
    assert all(values.locator("li").nth(i).is_visible() for i in range(3))
    _check(page)
    shot(page, "sample-06-column-values-by-keyboard")
    sign_out(page)

    # A developer without a grant: the schema and the reason, no rows, no counts.
    sign_in(page, site, "dev")
    page.goto(f"{site.url}/ui/datasets/{site.dataset_id}?q=asthma&filter=age:gt:50")
    page.wait_for_selector("#sample-access")
    assert "request access" in page.inner_text("#sample-access")
    assert page.locator("#sample-rows").count() == 0
    assert page.locator("#sample-count").count() == 0
    assert page.locator("#filter-builder").count() == 0
    section = page.inner_text("#sample")
    assert "rows match" not in section
    assert "3 rows" not in section
    content = page.content()  # its CSRF tokens are random: look for whole cell values
    assert not [v for v in ("E11 diabetes", "I10 hypertension", "J45 Asthma") if v in content]
    _check(page)
    shot(page, "sample-07-developer-refused")
    sign_out(page)
