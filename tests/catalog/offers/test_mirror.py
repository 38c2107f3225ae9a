"""A replica's mirror of the stored offers: what it applies of this process's writes equals
the tables read afresh, and answers come from memory within the freshness window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.ids import dataset_id
from catalog.labs import edit_lab, load_registry
from catalog.offers import RequesterProfile, offers_for
from catalog.offers.licence_store import add_licence, make_entry
from catalog.offers.live import LiveOffers
from catalog.offers.mirror import OffersMirror
from catalog.offers.stored import OfferStore
from catalog.service import Catalogue

DATA = Path(__file__).parent / "data" / "datasets.ttl"
EO = dataset_id("https://example.org/ds/eo-open")
UNKNOWN = dataset_id("https://example.org/ds/unknown-lic")
NEW = "https://example.org/ds/new-one"


@pytest.fixture
def live(catalogue: Catalogue) -> Iterator[LiveOffers]:
    catalogue.load_file(DATA, source="fixtures", replace=True)
    load_registry(catalogue)
    started = LiveOffers.start(catalogue, background=False)
    yield started
    started.close()


def _same_as_the_tables(mirror: OffersMirror, store: OfferStore) -> None:
    fresh = OffersMirror(store)
    assert fresh.check()
    assert mirror.generation == fresh.generation
    assert mirror.state == fresh.state
    assert mirror.labs() == fresh.labs()
    ids = sorted(store.all_terms())
    for ident in ids:
        mine, theirs = mirror.dataset(ident), fresh.dataset(ident)
        assert mine is not None and theirs is not None
        assert mine[0] == theirs[0]
        key = lambda o: o.lab.id  # noqa: E731
        assert sorted(mine[1], key=key) == sorted(theirs[1], key=key)
    assert mirror.offerable(ids) == fresh.offerable(ids)
    for lab_id in mirror.labs():
        assert mirror.lab_offers(lab_id, None) == fresh.lab_offers(lab_id, None)


def test_writes_of_this_process_are_applied_without_reading_the_tables(live: LiveOffers) -> None:
    cat, mirror = live.catalogue, live.mirror
    assert mirror.loads == 1  # once, before the first build (nothing stored then)
    _same_as_the_tables(mirror, live.store)

    cat.load(  # a new dataset: one publish, applied by the listener
        (
            "@prefix dcat: <http://www.w3.org/ns/dcat#> . "
            "@prefix dct: <http://purl.org/dc/terms/> .\n"
            f'<{NEW}> a dcat:Dataset ; dct:title "New" ; dct:license '
            "<http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ; "
            "dct:accessRights <http://publications.europa.eu/resource/authority/access-right/"
            "PUBLIC> .\n"
        ).encode(),
        fmt="turtle",
        source="steward",
    )
    edit_lab(cat, "brain-datalab", {"data_spaces": ["language"]}, staff_factory="brain")
    add_licence(
        cat.documents,
        make_entry("https://example.org/our-own-licence", permits=["tdm", "ai-training"]),
    )
    mirror.expire()
    live.sync()  # the lab edit and the licence mapping, caught up here
    assert mirror.loads == 1  # every write applied in memory
    assert mirror.dataset(dataset_id(NEW)) is not None
    _same_as_the_tables(mirror, live.store)
    profile = RequesterProfile.parse("SME", "DE", "commercial-ai-training")
    for ident in (EO, UNKNOWN, dataset_id(NEW)):
        assert live.dataset_offers(ident, profile).to_dict() == (
            offers_for(cat, ident, profile).to_dict()
        )


def test_within_the_window_no_query_is_made(
    live: LiveOffers, monkeypatch: pytest.MonkeyPatch
) -> None:
    live.mirror.freshness_s = 3600.0
    live.dataset_offers(EO)  # checks once: the window starts

    def no_query(*args: object, **kwargs: object) -> None:
        raise AssertionError("a database query within the freshness window")

    monkeypatch.setattr(live.store, "generation", no_query)
    monkeypatch.setattr(live.store, "pulse", no_query)
    monkeypatch.setattr(live.catalogue.database, "read", no_query)
    profile = RequesterProfile.parse("research", "FR", None)
    for _ in range(3):
        assert live.dataset_offers(EO).offers
        assert live.dataset_offers(EO, profile).offers
        assert live.lab_datasets("brain-datalab")[1] is not None
        assert EO in live.facets(live.catalogue, [EO])
