"""The search's offer facets (``lab``: the labs that may offer a dataset) follow the offers
the workers store, on both replicas, within 5 s: for a new dataset and after a lab edit.

Both are known to fail today (queue mode): a replica's search index projects a dataset's
offer facets from the stored offers when it applies the change-feed row, which is before a
worker's ``offers`` job has stored that change (on the replica that made the change, whose
publish listener re-projects at once; on the other one when it searches in between), and
nothing projects them again once the job has run: the facets stay stale until the next
change of that dataset (or of a lab, or a rebuild). The offers API itself is right.

A new dataset's facet is missed every time on the replica that saved it. A lab edit's
re-projection of the whole index takes about a second, in which the worker's job sometimes
lands, so that one fails on most runs only (hence not strict).
"""

from __future__ import annotations

import uuid

import pytest

from catalog.ids import dataset_id
from tests.cluster.actions import Browser, hits, steward_dataset
from tests.cluster.cluster import seen
from tests.cluster.conftest import LAB, Site

pytestmark = pytest.mark.cluster
STALE_FACETS = (
    "queue mode: offer facets are projected before the workers store the offers, and never "
    "again (see the module docstring)"
)


@pytest.mark.xfail(strict=True, reason=STALE_FACETS)
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
    for replica in (site.a, site.b):  # A, which saved it, first: it misses it every time
        seen(
            f"a new health dataset, under the lab's facet in {replica.name}'s search",
            lambda r=replica: ident in hits(r, word, lab=LAB),  # type: ignore[misc]
            patience=2,
        )


@pytest.mark.xfail(strict=False, reason=STALE_FACETS)
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
