"""A synthetic preview in Chromium: the steward turns it on from the steward page, and a
developer without a grant sees it on the dataset page, labelled as not real data, with the
real rows still closed."""

from __future__ import annotations

import io

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

from catalog.ids import dataset_id
from tests.web.a11y import check_page
from tests.web.conftest import Site, shot, sign_in, sign_out

IRI = "https://steward.example.org/dataset/clinic-visits"
RECORD = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<{iri}> a dcat:Dataset ;
    dct:title "Clinic visits, demo hospital 2024"@en ;
    dct:description "One row per visit to a demo clinic."@en ;
    dct:publisher <{org}> ;
    dct:license <{licence}> ;
    dct:accessRights <http://publications.europa.eu/resource/authority/access-right/RESTRICTED> .
"""
SECRET = "visit-0042-unique"
BY = "https://creativecommons.org/licenses/by/4.0/"
BY_ND = "https://creativecommons.org/licenses/by-nd/4.0/"


def visits(n: int = 240) -> bytes:
    wards = ["cardiology", "oncology", "paediatrics", "surgery"]
    table = pa.table(
        {
            "visit": [f"visit-{i:04d}-unique" for i in range(n)],
            "ward": [wards[i % 4] for i in range(n)],
            "age": pa.array([20 + 5 * (i % 12) for i in range(n)], pa.int64()),  # 20 each
            "postcode": pa.array([10000 + 7 * i for i in range(n)], pa.int64()),  # once each
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def steward_record(site: Site, iri: str = IRI, licence: str = BY) -> str:
    """The steward's own record with a sample, written as a steward's script does."""
    auth = {"Authorization": f"Bearer {site.tokens['stew']}"}
    made = httpx.post(
        f"{site.url}/datasets",
        content=RECORD.format(iri=iri, org=site.organisation, licence=licence),
        headers=auth | {"Content-Type": "text/turtle"},
    )
    assert made.status_code in (201, 200), made.text
    ident = dataset_id(iri)
    up = httpx.put(
        f"{site.url}/datasets/{ident}/sample",
        content=visits(),
        headers=auth | {"Content-Type": "application/vnd.apache.parquet"},
    )
    assert up.status_code == 201, up.text
    return ident


def check_block(page, block: str) -> None:
    """:func:`check_page` on the page holding ``block``, which must be on it."""
    assert page.locator(block).count() == 1
    check_page(page)


def test_steward_turns_it_on_and_a_developer_sees_the_labelled_preview(page, site: Site):
    ident = steward_record(site)
    nd = steward_record(site, IRI + "-nd", BY_ND)

    # The developer first sees no preview: the steward has not turned one on.
    sign_in(page, site, "dev")
    page.goto(f"{site.url}/ui/datasets/{ident}")
    page.wait_for_selector("#title")
    assert page.locator("#synthetic").count() == 0
    sign_out(page)

    # The steward turns it on from the steward page.
    sign_in(page, site, "stew")
    page.goto(f"{site.url}/ui/steward")
    page.wait_for_selector("#synthetic-form")
    row = page.locator("#synthetic-switches tr", has_text=ident)
    assert "off" in row.inner_text() and "allow derived data" in row.inner_text()
    page.select_option("#y-dataset", ident)
    page.check("#y-on")
    page.fill("#y-k", "12")
    page.click("#synthetic-form button")
    page.wait_for_selector("#message")
    assert f"Synthetic preview of {ident} switched on (k = 12)" in page.inner_text("#message")
    assert "served" in page.locator("#synthetic-switches tr", has_text=ident).inner_text()
    check_block(page, "#synthetic-switch")
    shot(page, "synthetic-01-steward-on")

    # Not for a dataset whose licence forbids derivative works: refused with the reason.
    page.select_option("#y-dataset", nd)
    page.check("#y-on")
    page.click("#synthetic-form button")
    page.wait_for_selector("p.error[role=alert]")
    error = page.inner_text("p.error[role=alert]")
    assert error.startswith("Not switched on") and "prohibits derivative works" in error
    assert "off" in page.locator("#synthetic-switches tr", has_text=nd).inner_text()
    check_block(page, "#synthetic-switch")
    shot(page, "synthetic-02-steward-refused")
    sign_out(page)

    # The developer without a grant: the labelled synthetic block, never the real rows.
    sign_in(page, site, "dev")
    page.goto(f"{site.url}/ui/datasets/{ident}")
    page.wait_for_selector("#synthetic")
    heading = page.inner_text("#h-synthetic")
    assert "Synthetic preview — not real data" in heading
    assert "request access" in page.inner_text("#sample-access")
    assert page.locator("#sample-rows").count() == 0
    notice = page.inner_text("#synthetic-notice")
    assert notice.startswith("Synthetic preview — not real data") and "12 times" in notice
    assert "not real data" in page.inner_text("#synthetic-caption")
    assert page.locator("#synthetic-rows tbody tr").count() == 20
    wards = set(page.locator("#synthetic-rows tbody td:nth-child(2)").all_inner_texts())
    assert wards <= {"cardiology", "oncology", "paediatrics", "surgery", "[suppressed]", ""}
    ages = [t for t in page.locator("#synthetic-rows tbody td:nth-child(3)").all_inner_texts() if t]
    assert ages and all(20 <= int(a) <= 75 for a in ages)
    # every real postcode occurs once: only coarse values no row holds are shown
    cells = page.locator("#synthetic-rows tbody td:nth-child(4)").all_inner_texts()
    codes = [t for t in cells if t]
    assert codes and not {int(c) for c in codes} & {10000 + 7 * i for i in range(240)}
    visits_shown = set(page.locator("#synthetic-rows tbody td:nth-child(1)").all_inner_texts())
    assert visits_shown <= {"[suppressed]", ""}  # every visit id occurs once
    assert SECRET not in page.content()
    check_block(page, "#synthetic")
    shot(page, "synthetic-03-developer-preview")
