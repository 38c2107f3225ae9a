"""Search replicas follow the change feed: two catalogues ("replicas" A and B, each with its
own home folder and index) over one real Oxigraph server and one real PostgreSQL database.

What A publishes reaches B's next search through the feed, and B re-projects only the
datasets the feed names (asserted on :attr:`SearchService.projected`, never on timing); a
lab edit rewrites the offer facets of the datasets it moved (``lab_updates``), once the
offers B reads reflect it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import sqlalchemy as sa

from catalog.db import Database, upgrade
from catalog.db.schema import change_feed
from catalog.harvest import overrides as steward
from catalog.ids import dataset_id
from catalog.jobs.worker import Worker
from catalog.labs import edit_lab, get_lab, load_registry
from catalog.offers.facets import offer_facets as direct_offer_facets
from catalog.offers.live import LiveOffers
from catalog.search import SearchService, early, labs
from catalog.search.index import IndexFile
from catalog.search.project import FacetProvider, provider_pairs
from catalog.search.providers import OfferFacets
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.catalog.store.conftest import OxigraphServer, sparql_settings
from tests.pg_server import PostgresServer

OFFERS_DATA = Path(__file__).resolve().parents[1] / "offers" / "data" / "datasets.ttl"
LAB = "bsc-datalab"
DCT_TITLE = "http://purl.org/dc/terms/title"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"

Values = dict[str, frozenset[tuple[str, str]]]


def document(*names: str, title: str = "Pollen", access: str = "PUBLIC") -> bytes:
    head = "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> ."
    body = [
        f'<https://ex.org/ds/{n}> a dcat:Dataset ; dct:title "{title} {n}"@en ; '
        f'dct:description "Counted near the {n}moorland"@en ; '
        f"dct:accessRights <{ACCESS}{access}> ."
        for n in names
    ]
    return "\n".join([head, *body]).encode()


def ident(name: str) -> str:
    return dataset_id(f"https://ex.org/ds/{name}")


@pytest.fixture
def shared(
    oxigraph_server: OxigraphServer, postgres: PostgresServer, tmp_path: Path
) -> Iterator[tuple[Settings, Settings]]:
    """Settings of replicas A and B: one graph server, one migrated PostgreSQL database."""
    url = postgres.new_database()
    try:
        with Database.postgresql(url) as fresh:
            upgrade(fresh)
        yield (
            sparql_settings(oxigraph_server, tmp_path / "a", database_url=url),
            sparql_settings(oxigraph_server, tmp_path / "b", database_url=url),
        )
    finally:
        postgres.drop_database(url)


@pytest.fixture
def a(shared: tuple[Settings, Settings]) -> Iterator[Catalogue]:
    with Catalogue.open(shared[0]) as cat:
        cat.store.update("DROP ALL")
        cat.load(document("heath", "bog", "dune"), fmt="turtle", source="s1")
        yield cat


@pytest.fixture
def b_catalogue(shared: tuple[Settings, Settings], a: Catalogue) -> Iterator[Catalogue]:
    with Catalogue.open(shared[1]) as cat:
        yield cat


def open_b(catalogue: Catalogue, providers: tuple[FacetProvider, ...] = ()) -> SearchService:
    """B's search service; it never hears A's publish listeners (another process)."""
    return SearchService.open(catalogue, providers, attach=False)


@pytest.fixture
def b(b_catalogue: Catalogue) -> Iterator[SearchService]:
    service = open_b(b_catalogue)
    yield service
    service.close()


def with_labs(catalogue: Catalogue) -> None:
    """Datasets the demo labs offer (one per rule of offer resolution), and the labs."""
    catalogue.load_file(OFFERS_DATA, source="fixtures", replace=True)
    load_registry(catalogue)


def expected_offers(catalogue: Catalogue, ids: list[str]) -> Values:
    """The offer facet values each dataset should have: resolved directly, now."""
    facets = direct_offer_facets(catalogue, ids)
    return {i: frozenset(provider_pairs(facets.get(i, {}))) for i in ids}


def offer_values(service: SearchService, ids: list[str]) -> Values:
    values = service.facet_values(ids, ("lab", "ai_training"))
    return {i: frozenset((f, v) for f, vs in values[i].items() for v in vs) for i in ids}


def edit_offers(catalogue: Catalogue, ids: list[str]) -> tuple[Values, Values]:
    """Add a data space to :data:`LAB` on ``catalogue``: every dataset's offer facet values
    before and after."""
    was = expected_offers(catalogue, ids)
    spaces = [*get_lab(catalogue, LAB).data_spaces, "earth-observation"]
    edit_lab(catalogue, LAB, {"data_spaces": spaces}, staff_factory="bsc")
    return was, expected_offers(catalogue, ids)


def rowids(service: SearchService) -> dict[str, int]:
    return {i: r for i, r in service.index.db().execute("SELECT id, rowid FROM docs")}


def lab_hits(service: SearchService) -> set[str]:
    return {h.id for h in service.search("", filters={"lab": [LAB]}, limit=100).items}


def run_worker(settings: Settings) -> list[str]:
    """One worker's turns until nothing is due (another machine): the jobs it ran."""
    with Database.open(settings) as db:
        turns = Worker(settings, db, worker_id="w1").run(once=True)
    return [t.job.kind for t in turns if t.job is not None and t.outcome == "done"]


def next_second() -> None:
    """Wait for the next second of the wall clock: the per-source stamps of the fallback
    compare ``dlab:loadedAt``, which has one-second resolution (a documented limit)."""
    now = time.time()
    time.sleep(math.ceil(now) - now + 0.01)


def projected_since(service: SearchService, mark: int) -> list[tuple[str, frozenset[str] | None]]:
    return list(service.projected)[mark:]


def found(service: SearchService, q: str) -> list[str]:
    return [h.id for h in service.search(q).items]


def test_a_load_on_a_is_found_by_b_which_projects_only_that_dataset(
    a: Catalogue, b: SearchService
) -> None:
    assert found(b, "pollen") and found(b, "fen") == []
    mark = len(b.projected)
    a.load(document("fen"), fmt="turtle", source="s1")  # an upsert into the source
    assert found(b, "fen") == [ident("fen")]
    assert projected_since(b, mark) == [("s1", frozenset({ident("fen")}))]
    assert IndexFile.feed_position(b.index.db()) == a.changes.head()
    mark = len(b.projected)
    assert b.search("pollen").total == 4  # nothing new: nothing projected
    assert projected_since(b, mark) == []


def test_a_steward_edit_on_a_is_found_by_b(a: Catalogue, b: SearchService) -> None:
    mark = len(b.projected)
    title = [ox.Literal("Cranberry survey", language="en")]
    steward.set_field(a, "s1", "https://ex.org/ds/bog", DCT_TITLE, title)
    assert found(b, "cranberry") == [ident("bog")]
    assert ident("bog") not in found(b, "pollen")
    assert projected_since(b, mark) == [("s1", frozenset({ident("bog")}))]


def test_an_access_change_on_a_moves_b_facets_and_hides_the_description(
    a: Catalogue, b: SearchService
) -> None:
    assert found(b, "dunemoorland") == [ident("dune")]
    mark = len(b.projected)
    a.load(document("dune", access="NON_PUBLIC"), fmt="turtle", source="s1")
    assert found(b, "dunemoorland") == []  # a non-public description is not indexed
    result = b.search("pollen", filters={"access": ["non-public"]})
    assert [h.id for h in result.items] == [ident("dune")]
    access = {f["value"]: f["count"] for f in b.search("pollen").facets["access"]}
    assert access == {"public": 2, "non-public": 1}
    assert projected_since(b, mark) == [("s1", frozenset({ident("dune")}))]


def test_a_delete_on_a_disappears_from_b(a: Catalogue, b: SearchService) -> None:
    mark = len(b.projected)
    a.delete(ident("heath"))
    assert found(b, "heath") == []
    assert b.search("pollen").total == 2
    assert projected_since(b, mark) == [("s1", frozenset({ident("heath")}))]
    a.remove_source("s1")
    assert b.search("").total == 0
    assert "s1" not in b.index.indexed_sources()


def test_a_stopped_replica_catches_up_from_its_position(
    a: Catalogue, b_catalogue: Catalogue
) -> None:
    b = open_b(b_catalogue)
    stopped_at = IndexFile.feed_position(b.index.db())
    b.close()
    a.load(document("marsh", "mire"), fmt="turtle", source="s1")
    a.load(document("fen"), fmt="turtle", source="s2")
    a.delete(ident("heath"))
    steward.set_field(
        a, "s1", "https://ex.org/ds/bog", DCT_TITLE, [ox.Literal("Peat", language="en")]
    )
    assert stopped_at is not None and a.changes.head() == stopped_at + 5
    b = open_b(b_catalogue)  # the index file is kept: it catches up, it is not rebuilt
    try:
        changed = {ident(n) for n in ("marsh", "mire", "heath", "bog")}
        assert list(b.projected) == [("s1", frozenset(changed)), ("s2", frozenset({ident("fen")}))]
        assert sorted(found(b, "pollen")) == sorted(
            ident(n) for n in ("dune", "marsh", "mire", "fen")
        )
        assert found(b, "peat") == [ident("bog")]
        assert IndexFile.feed_position(b.index.db()) == a.changes.head()
    finally:
        b.close()


def test_a_lab_edit_on_a_moves_b_facets_of_the_datasets_it_changed_only(
    a: Catalogue, b_catalogue: Catalogue
) -> None:
    """B follows the offers itself (``inline``): A's lab edit reaches B's next search as
    the facets of exactly the datasets it moved; nothing is re-projected."""
    with_labs(a)
    live_b = LiveOffers(b_catalogue)
    live_b.build(background=False)
    b = open_b(b_catalogue, (OfferFacets(live_b),))
    try:
        ids = sorted(rowids(b))
        assert offer_values(b, ids) == expected_offers(a, ids)
        mark, rows = len(b.projected), rowids(b)
        was, now = edit_offers(a, ids)
        moved = {i for i in ids if was[i] != now[i]}
        assert moved and len(moved) < len(ids)
        assert lab_hits(b) == {i for i in ids if ("lab", LAB) in now[i]}
        assert list(b.lab_updates)[-1] == ((LAB,), frozenset(moved))
        assert projected_since(b, mark) == []
        assert rowids(b) == rows  # nor re-inserted: facet rows rewritten in place
        assert offer_values(b, ids) == now
        assert IndexFile.feed_position(b.index.db()) == a.changes.head()
    finally:
        b.close()
        live_b.close()


def test_a_lab_edit_waits_on_b_for_the_workers_offers_and_holds_nothing_back(
    shared: tuple[Settings, Settings], a: Catalogue, b_catalogue: Catalogue
) -> None:
    """B reads the offers the workers store (``queue``): the lab stays pending on B until
    a worker has followed its row; datasets published after it reach B meanwhile."""
    with_labs(a)
    live_b = LiveOffers(b_catalogue, follow=False)
    live_b.build()  # nothing stored yet: queues the first build
    assert run_worker(shared[0]) == ["offers"]
    b = open_b(b_catalogue, (OfferFacets(live_b),))
    try:
        ids = sorted(rowids(b))
        was, now = edit_offers(a, ids)
        a.load(document("fen"), fmt="turtle", source="s1")
        assert found(b, "fen") == [ident("fen")]  # not held back by the lab
        assert IndexFile.feed_position(b.index.db()) == a.changes.head()
        assert labs.pending(b.index.db()) == {LAB: a.changes.head() - 1}
        assert offer_values(b, ids) == was  # the stored offers do not reflect it yet
        assert run_worker(shared[0]) == ["offers"]
        mark = len(b.projected)
        assert lab_hits(b) == {i for i in ids if ("lab", LAB) in now[i]}
        assert list(b.lab_updates)[-1] == ((LAB,), frozenset(i for i in ids if was[i] != now[i]))
        assert projected_since(b, mark) == []
        assert offer_values(b, ids) == now
        assert labs.pending(b.index.db()) == {}
    finally:
        b.close()


def test_a_dataset_searchable_before_the_workers_offers_gets_its_lab_facets_after(
    shared: tuple[Settings, Settings], a: Catalogue, b_catalogue: Catalogue
) -> None:
    """``queue``: B applies a new health dataset's row at once (searchable), while the
    stored offers do not know it yet; once a worker has followed the feed, B's next search
    sets its offer facets in place (no re-projection), and the range is settled."""
    with_labs(a)
    live_b = LiveOffers(b_catalogue, follow=False)
    live_b.build()
    assert run_worker(shared[0]) == ["offers"]
    b = open_b(b_catalogue, (OfferFacets(live_b),))
    try:
        b.sync()
        fresh = OFFERS_DATA.read_text().replace(
            "<https://example.org/ds/>", "<https://ex.org/new/>"
        )
        a.load(fresh.encode(), fmt="turtle", source="fresh")
        new_ids = sorted(d.id for d in a.datasets(source="fresh", limit=100).items)
        want = expected_offers(a, new_ids)
        assert any(("lab", LAB) in want[i] for i in new_ids)  # some lab may offer them
        b.sync()
        assert set(new_ids) <= set(rowids(b))  # searchable at once
        assert offer_values(b, new_ids) != want  # the workers have not followed yet
        assert early.early(b.index.db()) is not None
        rows = rowids(b)
        assert run_worker(shared[0]) == ["offers"]
        mark = len(b.projected)
        b.sync()
        assert offer_values(b, new_ids) == want
        assert projected_since(b, mark) == []  # set in place, not re-projected
        assert {i: r for i, r in rowids(b).items() if i in new_ids} == {i: rows[i] for i in new_ids}
        assert early.early(b.index.db()) is None
        assert lab_hits(b) >= {i for i in new_ids if ("lab", LAB) in want[i]}
    finally:
        b.close()


def test_a_cut_feed_falls_back_to_comparing_sources(a: Catalogue, b: SearchService) -> None:
    """Rows B had not applied were removed from the feed: B compares source versions,
    re-indexes the source whole, and follows the feed again from the head."""
    position = IndexFile.feed_position(b.index.db())
    assert position is not None
    next_second()
    a.load(document("fen"), fmt="turtle", source="s1")
    a.load(document("marsh"), fmt="turtle", source="s1")
    with a.database.transaction() as conn:  # trimmed up to fen's row: B missed it
        conn.execute(sa.delete(change_feed).where(change_feed.c.seq <= position + 1))
    mark = len(b.projected)
    assert sorted(found(b, "pollen")) == sorted(
        ident(n) for n in ("heath", "bog", "dune", "fen", "marsh")
    )
    assert projected_since(b, mark) == [("s1", None)]
    assert IndexFile.feed_position(b.index.db()) == a.changes.head()


def test_an_index_without_a_position_compares_sources_then_follows(
    a: Catalogue, b: SearchService
) -> None:
    """An index built before the feed: the stamp comparison, then the head as position."""
    db = b.index.db()
    db.execute("BEGIN")
    IndexFile.set_feed_position(db, None)
    db.execute("COMMIT")
    next_second()
    a.load(document("fen"), fmt="turtle", source="s1")
    mark = len(b.projected)
    assert found(b, "fen") == [ident("fen")]
    assert projected_since(b, mark) == [("s1", None)]
    assert IndexFile.feed_position(b.index.db()) == a.changes.head()
    a.load(document("mire"), fmt="turtle", source="s1")
    mark = len(b.projected)
    assert found(b, "mire") == [ident("mire")]
    assert projected_since(b, mark) == [("s1", frozenset({ident("mire")}))]
