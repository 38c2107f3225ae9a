"""The first offers answers after a restart come from the stored rows through their indexes
while the mirror's rows load on a thread of their own: the same answers as the loaded mirror
and as direct resolution, and as fresh (another follower's write is seen at the next check;
a write of this process during the load makes the load read again)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.ids import dataset_id
from catalog.labs import edit_lab, load_registry
from catalog.offers import RequesterProfile, offers_for
from catalog.offers.follower import OffersFollower
from catalog.offers.live import LiveOffers
from catalog.offers.mirror import OffersMirror
from catalog.offers.resolution import CONDITIONS, MAY_OFFER
from catalog.offers.service import lab_datasets
from catalog.service import Catalogue
from tests.catalog.offers.held import HeldSnapshots

DATA = Path(__file__).parent / "data" / "datasets.ttl"
EO_IRI = "https://example.org/ds/eo-open"
EO = dataset_id(EO_IRI)
PROFILE = RequesterProfile.parse("SME", "DE", "commercial-ai-training")
OFFERED = (MAY_OFFER, CONDITIONS)


@pytest.fixture
def built(catalogue: Catalogue) -> Catalogue:
    """A catalogue whose offers another process stored (as before a restart)."""
    catalogue.load_file(DATA, source="fixtures", replace=True)
    load_registry(catalogue)
    assert OffersFollower(catalogue).catch_up().rebuilt
    return catalogue


@pytest.fixture
def restarted(built: Catalogue) -> Iterator[LiveOffers]:
    live = LiveOffers(built, follow=False)  # what a restarted replica runs first
    yield live
    live.close()


def _ids(cat: Catalogue) -> list[str]:
    return sorted(item.id for item in cat.datasets(limit=500).items)


def _answers(live: LiveOffers, cat: Catalogue) -> dict[str, Any]:
    """Everything a user can ask of the offers, as the API would show it."""
    ids = _ids(cat)
    labs = sorted(live.mirror.labs())
    return {
        "datasets": {i: live.dataset_offers(i).to_dict() for i in ids},
        "profiled": {i: live.dataset_offers(i, PROFILE).to_dict() for i in ids},
        "labs": {lab: live.lab_datasets(lab) for lab in labs},
        "members": {lab: live.mirror.lab_members(lab) for lab in labs},
        "facets": live.facets(cat, ids),
        "offerable": live.mirror.offerable(ids),
        "terms": live.mirror.terms(ids),
    }


def test_the_first_answers_do_not_wait_for_the_rows_and_equal_the_loaded_mirror(
    restarted: LiveOffers, built: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldSnapshots(restarted.store, monkeypatch)
    assert restarted.ready  # the state and labs read: two small reads
    assert held.started.wait(30)  # the rows are loading, held
    assert not restarted.mirror.loaded
    early = _answers(restarted, built)
    assert not restarted.mirror.loaded  # every answer above came from the tables
    assert held.reads == 1

    # each one as direct resolution gives it
    for ident, answer in early["datasets"].items():
        assert answer == offers_for(built, ident).to_dict()
        assert early["profiled"][ident] == offers_for(built, ident, PROFILE).to_dict()
    assert early["labs"], "no lab in the stored offers"
    for lab_id, (offers, total) in early["labs"].items():
        direct = lab_datasets(built, lab_id)
        assert [(o.dataset, o.verdict) for o in offers] == [
            (o.dataset, o.verdict) for o in sorted(direct, key=lambda o: o.dataset)
        ]
        assert total == len(direct)
        assert early["members"][lab_id] == {o.dataset for o in direct}
    some_offered = [i for i, hits in early["offerable"].items() if hits]
    assert some_offered, "no dataset any lab may offer: the comparison would be empty"

    held.release.set()
    assert restarted.mirror.wait_loaded(30)
    assert restarted.mirror.loads == 1
    assert _answers(restarted, built) == early  # the loaded mirror: the same answers


def test_another_followers_write_during_the_load_is_in_the_next_answer(
    restarted: LiveOffers, built: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldSnapshots(restarted.store, monkeypatch)
    assert restarted.ready
    assert held.started.wait(30)
    before = {o.lab.id: o for o in restarted.dataset_offers(EO).offers}
    assert any(o.verdict in OFFERED for o in before.values())

    # another process edits a lab and follows: the rows change under the held load
    edit_lab(built, "brain-datalab", {"data_spaces": ["language"]}, staff_factory="brain")
    OffersFollower(built).catch_up()
    stored = restarted.store.state()
    assert stored is not None
    restarted.mirror.expire()  # as when the freshness window passes
    assert restarted.reached(stored.position)
    after = restarted.dataset_offers(EO)
    assert not restarted.mirror.loaded
    assert after.to_dict() == offers_for(built, EO).to_dict()
    assert {o.lab.id: o.verdict for o in after.offers} != {k: o.verdict for k, o in before.items()}

    held.release.set()  # the held snapshot may be older than the state the check found
    assert restarted.mirror.wait_loaded(30)
    assert restarted.mirror.generation == stored.generation
    assert restarted.dataset_offers(EO).to_dict() == offers_for(built, EO).to_dict()


def test_a_write_of_this_process_during_the_load_makes_it_read_again(
    built: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = LiveOffers(built)  # follows here (inline)
    built.on_publish.insert(0, live.on_publish)
    held = HeldSnapshots(live.store, monkeypatch)
    try:
        live.build(background=False)  # nothing to follow: the stored offers are current
        assert live.ready
        assert held.started.wait(30)
        edit_lab(built, "brain-datalab", {"data_spaces": ["language"]}, staff_factory="brain")
        live.later.close(30)  # the lab edit is followed on a thread of its own
        position = built.changes.head()
        assert live.reached(position)
        assert not live.mirror.loaded
        assert live.dataset_offers(EO).to_dict() == offers_for(built, EO).to_dict()

        held.release.set()
        assert live.mirror.wait_loaded(30)
        assert held.reads == 2  # the first snapshot raced the write: read again
        fresh = OffersMirror(live.store)  # the tables read afresh, whole
        assert fresh.check()
        assert live.mirror.state == fresh.state
        assert live.mirror.labs() == fresh.labs()
        for ident in _ids(built):
            mine, theirs = live.mirror.dataset(ident), fresh.dataset(ident)
            assert mine is not None and theirs is not None
            assert mine[0] == theirs[0]
            assert sorted(mine[1], key=lambda o: o.lab.id) == sorted(
                theirs[1], key=lambda o: o.lab.id
            )
            assert live.dataset_offers(ident).to_dict() == offers_for(built, ident).to_dict()
    finally:
        live.close()


def test_a_load_that_fails_leaves_the_answers_to_the_tables(
    restarted: LiveOffers, built: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(restarted.store, "snapshot", broken)
    assert restarted.ready
    assert restarted.dataset_offers(EO).to_dict() == offers_for(built, EO).to_dict()
    loader = restarted.mirror._loader
    assert loader is not None
    loader.join(30)
    assert not restarted.mirror.loaded
    assert restarted.mirror.error == "RuntimeError: disk gone"
    assert restarted.dataset_offers(EO).to_dict() == offers_for(built, EO).to_dict()

    monkeypatch.undo()  # the next check tries again
    restarted.mirror.expire()
    restarted.sync()
    assert restarted.mirror.wait_loaded(30)
    assert restarted.mirror.error is None
