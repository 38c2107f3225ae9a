"""What is done through one replica is seen through the other within 5 s: a steward's
dataset (search, dataset API), a sample (rows), a user (its token), an access request (its
approval's grant), a lab edit (lab API and the dataset's offers, which workers compute)."""

from __future__ import annotations

import time
import uuid

import pytest

from catalog.ids import dataset_id
from catalog.offers.stored import OfferStore
from tests.cluster.actions import Browser, hits, parquet, steward_dataset
from tests.cluster.cluster import seen
from tests.cluster.conftest import LAB, Site

pytestmark = pytest.mark.cluster


def test_a_dataset_saved_and_edited_through_a_is_found_and_read_through_b(site: Site) -> None:
    iri = f"https://data.example.org/cluster/{uuid.uuid4().hex[:8]}"
    ident = dataset_id(iri)
    first, second = f"aurora{uuid.uuid4().hex[:6]}", f"borealis{uuid.uuid4().hex[:6]}"
    browser = Browser(site.a)
    try:
        browser.sign_in("stew", site.tokens["stew"])
        saved = browser.save(steward_dataset(iri, f"Cluster probe {first}", site.organisation))
        assert saved.status_code == 201, saved.text[:2000]
        seen("a steward's new dataset, found on B", lambda: ident in hits(site.b, first))

        saved = browser.save(steward_dataset(iri, f"Cluster probe {second}", site.organisation))
        assert saved.status_code == 201, saved.text[:2000]

        def title_on_b() -> bool:
            answer = site.b.client.get(f"/datasets/{ident}")
            return answer.status_code == 200 and second in str(answer.json()["dataset"])

        seen("the edited title, in B's dataset API", title_on_b)
        seen(
            "the edited title, on B's dataset page",
            lambda: second in site.b.client.get(f"/ui/datasets/{ident}").text,
        )
        seen("the edited dataset, found on B", lambda: ident in hits(site.b, second))
        assert ident not in hits(site.b, first)  # the old title is gone from B's index

        # the web session lives in the database: the same browser is signed in on B
        on_b = Browser(site.b, cookies=browser.client.cookies)
        try:
            assert on_b.client.get("/ui/steward").status_code == 200
        finally:
            on_b.close()
    finally:
        browser.close()


def test_a_sample_uploaded_through_a_is_read_through_b_by_an_entitled_caller(
    site: Site,
) -> None:
    label = f"cluster-{uuid.uuid4().hex[:6]}"
    put = site.a.client.put(
        f"/datasets/{site.dataset_id}/sample",
        content=parquet(40, label),
        headers={**site.auth("stew"), "Content-Type": "application/vnd.apache.parquet"},
    )
    assert put.status_code == 201, put.text[:1000]
    rows_url = f"/datasets/{site.dataset_id}/sample/rows"

    def rows_on_b() -> bool:
        answer = site.b.client.get(rows_url, headers=site.auth("root"))
        return answer.status_code == 200 and answer.json()["rows"][0]["label"] == f"{label} 0"

    seen("a sample uploaded on A, its rows on B", rows_on_b)
    refused = site.b.client.get(rows_url, headers=site.auth("dev"))  # restricted: no grant
    assert refused.status_code == 403


def test_a_user_created_on_a_uses_their_token_on_b(site: Site) -> None:
    name = f"carol-{uuid.uuid4().hex[:6]}"
    added = site.cluster.operators["a"].run("user", "add", name, "--role", "developer")
    assert added["code"] == 0, added
    issued = site.cluster.operators["a"].run("user", "token", name)
    assert issued["code"] == 0, issued
    token = issued["output"].strip()

    def accepted_on_b() -> bool:
        answer = site.b.client.get("/access-requests", headers={"Authorization": f"Bearer {token}"})
        return answer.status_code == 200

    seen("a user made on A, their token accepted on B", accepted_on_b)


def test_an_access_request_made_on_a_and_approved_on_b_opens_the_rows_on_a(site: Site) -> None:
    rows_url = f"/datasets/{site.dataset_id}/sample/rows"
    if site.a.client.get(f"/datasets/{site.dataset_id}/sample").status_code == 404:
        put = site.a.client.put(
            f"/datasets/{site.dataset_id}/sample",
            content=parquet(10, "grant"),
            headers={**site.auth("stew"), "Content-Type": "application/vnd.apache.parquet"},
        )
        assert put.status_code == 201, put.text[:1000]
    assert site.a.client.get(rows_url, headers=site.auth("dev")).status_code == 403
    body = {
        "dataset_id": site.dataset_id,
        "lab": LAB,
        "org_type": "research",
        "country": "DE",
        "purpose": "academic-research",
    }
    created = site.a.client.post("/access-requests", json=body, headers=site.auth("dev"))
    assert created.status_code == 201, created.text[:1000]
    request_id = created.json()["id"]
    staff = site.auth(site.lab_staff[LAB])

    def listed_on_b() -> bool:
        answer = site.b.client.get("/access-requests", headers=staff)
        return request_id in {item["id"] for item in answer.json()["items"]}

    seen("a request made on A, listed for staff on B", listed_on_b)
    approved = site.b.client.post(f"/access-requests/{request_id}/approve", headers=staff)
    assert approved.status_code == 200, approved.text[:1000]
    assert approved.json()["state"] == "approved"
    seen(
        "an approval on B, the grant honoured on A",
        lambda: site.a.client.get(rows_url, headers=site.auth("dev")).status_code == 200,
    )
    seen(
        "the approved request, as its requester reads it on A",
        lambda: (
            site.a.client.get(f"/access-requests/{request_id}", headers=site.auth("dev")).json()[
                "state"
            ]
            == "approved"
        ),
    )


def test_a_lab_edited_on_a_shows_on_b_in_the_lab_and_in_the_offers(site: Site) -> None:
    lab = "1healthai-datalab"
    staff = site.auth(site.lab_staff[lab])
    offers_url = f"/datasets/{site.dataset_id}/offers"

    def offer_on_b() -> tuple[str, str]:
        offers = site.b.client.get(offers_url).json()["offers"]
        offer = next(o for o in offers if o["lab"] == lab)
        return offer["lab_name"], offer["verdict"]

    before = site.b.client.get(f"/labs/{lab}").json()
    assert before["data_spaces"] == ["health"] and offer_on_b()[1] != "may_not_offer"
    name = f"One-Health lab {uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    edited = site.a.client.patch(
        f"/labs/{lab}", json={"name": name, "data_spaces": ["research"]}, headers=staff
    )
    assert edited.status_code == 200, edited.text[:1000]
    print(f"\n[cluster] the lab edit on A answered in {time.monotonic() - started:.2f} s")
    seen(
        "a lab edited on A, in B's lab API",
        lambda: site.b.client.get(f"/labs/{lab}").json()["name"] == name,
    )
    # unlinked from the health data space, the lab may no longer offer the health dataset;
    # B answers from the offers a worker stored (an offers job queued by A's publish)
    seen("a lab edited on A, in B's offers", lambda: offer_on_b() == (name, "may_not_offer"))

    def stored() -> bool:
        with site.database() as database:
            return OfferStore(database).labs()[lab].name == name

    seen("a lab edited on A, in the offers the workers store", stored)
    restored = site.a.client.patch(
        f"/labs/{lab}", json={"name": before["name"], "data_spaces": ["health"]}, headers=staff
    )
    assert restored.status_code == 200, restored.text[:1000]
    seen(
        "the lab restored on A, in B's offers",
        lambda: offer_on_b() == (before["name"], "may_offer_under_conditions"),
    )
