"""Search replicas follow the change feed: two catalogues ("replicas" A and B, each with its
own home folder and index) over one real Oxigraph server and one real PostgreSQL database.

What A publishes reaches B's next search through the feed, and B re-projects only the
datasets the feed names (asserted on :attr:`SearchService.projected`, never on timing).
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
from catalog.labs import list_labs, load_registry
from catalog.labs.store import edit_lab
from catalog.search import SearchService
from catalog.search.index import IndexFile
from catalog.search.project import FacetProvider
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.catalog.store.conftest import OxigraphServer, sparql_settings
from tests.pg_server import PostgresServer

DCT_TITLE = "http://purl.org/dc/terms/title"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"


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


def test_a_lab_edit_on_a_reprojects_b_whole_index(a: Catalogue, b_catalogue: Catalogue) -> None:
    """A lab edit moves the offer facets of any dataset: B re-projects every source."""
    load_registry(a)
    b = open_b(b_catalogue, (lambda cat, ids: {i: {"lab": "x"} for i in ids},))
    try:
        mark = len(b.projected)
        lab = list_labs(a)[0]
        edit_lab(a, lab.id, {"fees": "10 EUR"}, staff_factory=lab.factory)
        assert b.search("pollen").total == 3
        assert ("s1", None) in projected_since(b, mark)
        assert IndexFile.feed_position(b.index.db()) == a.changes.head()
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
