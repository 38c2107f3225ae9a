"""The search's offer facets (``lab``: the labs that may offer a dataset) follow the offers
the workers store, on both replicas, within 5 s: for a new dataset and after a lab edit.

In queue mode a replica applies a dataset's change-feed row before a worker's ``offers``
job has stored that change; the index records the rows it applied early and sets their
offer facets again once the stored offers reach them (``catalog/search/early.py``), and a
lab edit waits for them (``catalog/search/labs.py``).
"""

from __future__ import annotations

import uuid

import pytest

from catalog.ids import dataset_id
from tests.cluster.actions import Browser, hits, steward_dataset
from tests.cluster.cluster import seen
from tests.cluster.conftest import LAB, Site

pytestmark = pytest.mark.cluster


def test_a_new_health_dataset_gets_its_lab_facet_on_both_replicas(site: Site) -> None:
    iri = f"https://data.example.org/cluster/health-{uuid.uuid4().hex[:8]}"
    ident, word = dataset_id(iri), f"vitals{uuid.uuid4().hex[:6]}"
    browser = Browser(site.a)
    try:
        browser.sign_in("stew", site.tokens["stew"])
        document = steward_dataset(iri, f"Health probe {word}", site.organisation, health=True)
        saved = browser.save(document)
        assert saved.status_code == 201, saved.text[:2000]
    finally:
        browser.close()

    def offered_by(replica_name: str) -> bool:
        replica = site.cluster.replicas[replica_name]
        offers = replica.client.get(f"/datasets/{ident}/offers").json()["offers"]
        return any(o["lab"] == LAB and o["verdict"] != "may_not_offer" for o in offers)

    seen("a new health dataset, offered by the lab in B's offers", lambda: offered_by("b"))
    for replica in (site.a, site.b):  # A, which saved it and applied its row at once, first
        seen(
            f"a new health dataset, under the lab's facet in {replica.name}'s search",
            lambda r=replica: ident in hits(r, word, lab=LAB),  # type: ignore[misc]
            patience=2,
        )


def test_a_lab_edit_moves_the_lab_facet_on_both_replicas(site: Site) -> None:
    lab = "laif-datalab"
    staff = site.auth(site.lab_staff[lab])
    before = site.b.client.get(f"/labs/{lab}").json()
    assert "health" in before["data_spaces"]
    for replica in (site.a, site.b):
        assert site.dataset_id in hits(replica, "", lab=lab)
    unlinked = [space for space in before["data_spaces"] if space != "health"]
    try:
        edited = site.a.client.patch(f"/labs/{lab}", json={"data_spaces": unlinked}, headers=staff)
        assert edited.status_code == 200, edited.text[:1000]
        for replica in (site.b, site.a):
            seen(
                f"a lab unlinked from health on A, out of the facet in {replica.name}'s search",
                lambda r=replica: site.dataset_id not in hits(r, "", lab=lab),  # type: ignore[misc]
                patience=2,
            )
    finally:
        restored = site.a.client.patch(
            f"/labs/{lab}", json={"data_spaces": before["data_spaces"]}, headers=staff
        )
        assert restored.status_code == 200, restored.text[:1000]
