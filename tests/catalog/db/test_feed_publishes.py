"""Every way a dataset changes appends exactly its rows to the change feed, on both dialects.

Loads, replace-loads, deletes, harvests (a real loopback CKAN portal), steward edits and lab
edits, through a real :class:`Catalogue`; on PostgreSQL, concurrent publishes of two sources
are read back by a polling reader without a gap; and a catalogue over a real Oxigraph
server with PostgreSQL appends too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from catalog.db import Database, upgrade
from catalog.db.feed import FeedRow
from catalog.harvest import Harvester, HarvestSources
from catalog.harvest import overrides as steward
from catalog.ids import dataset_id
from catalog.labs import list_labs, load_registry
from catalog.labs.store import LABS_SOURCE, edit_lab
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.catalog.store.conftest import OxigraphServer, sparql_settings
from tests.connectors.ckan_server import CkanPortal, corpus_packages
from tests.connectors.loopback import Loopback, serve

DCT_TITLE = "http://purl.org/dc/terms/title"
Row = tuple[str, str, str | None, str]


def _migrated(settings: Settings) -> Settings:
    """``settings``, with their PostgreSQL database (if any) upgraded as an operator would."""
    if settings.database_url is not None:
        with Database.postgresql(settings.database_url) as fresh:
            upgrade(fresh)
    return settings


@pytest.fixture
def cat(db_settings: Settings) -> Iterator[Catalogue]:
    with Catalogue.open(_migrated(db_settings)) as c:
        yield c


def document(*names: str, title: str = "t") -> bytes:
    head = "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> ."
    body = [f'<https://ex.org/ds/{n}> a dcat:Dataset ; dct:title "{title} {n}"@en .' for n in names]
    return "\n".join([head, *body]).encode()


def ident(name: str) -> str:
    return dataset_id(f"https://ex.org/ds/{name}")


def appended(cat: Catalogue, since: int) -> list[Row]:
    """The rows after ``since``, in feed order, as (source, id, version, kind)."""
    rows, _ = cat.changes.changes_since(since, limit=10_000)
    return [(r.source, r.dataset_id, r.version, r.kind) for r in rows]


def test_the_catalogue_shares_its_database(cat: Catalogue, db_settings: Settings) -> None:
    assert cat.database.dialect == ("sqlite" if db_settings.database_url is None else "postgresql")
    assert cat.changes.database is cat.database


def test_a_load_appends_its_datasets_at_the_current_version(cat: Catalogue) -> None:
    cat.load(document("a", "b"), fmt="turtle", source="s1")
    v1 = cat.graphs.current("s1")
    assert sorted(appended(cat, 0)) == sorted(
        [("s1", ident("a"), v1, "upsert"), ("s1", ident("b"), v1, "upsert")]
    )
    mark = cat.changes.head()
    cat.load(document("b", "c", title="new"), fmt="turtle", source="s1")  # an upsert load
    v2 = cat.graphs.current("s1")
    assert v2 == v1  # changed in place
    assert sorted(appended(cat, mark)) == [
        ("s1", i, v2, "upsert") for i in sorted([ident("b"), ident("c")])
    ]


def test_a_replace_load_appends_what_it_holds_and_deletes_what_it_dropped(
    cat: Catalogue,
) -> None:
    cat.load(document("a", "b", "c"), fmt="turtle", source="s1", replace=True)
    mark = cat.changes.head()
    cat.load(document("a", "d"), fmt="turtle", source="s1", replace=True)
    version = cat.graphs.current("s1")
    rows = appended(cat, mark)
    assert sorted(r for r in rows if r[3] == "upsert") == sorted(
        [("s1", ident("a"), version, "upsert"), ("s1", ident("d"), version, "upsert")]
    )
    assert sorted(r for r in rows if r[3] == "delete") == sorted(
        [("s1", ident("b"), version, "delete"), ("s1", ident("c"), version, "delete")]
    )


def test_a_delete_and_a_removed_source_append_deletes(cat: Catalogue) -> None:
    cat.load(document("a", "b"), fmt="turtle", source="s1")
    version = cat.graphs.current("s1")
    mark = cat.changes.head()
    cat.delete(ident("a"))
    assert appended(cat, mark) == [("s1", ident("a"), version, "delete")]
    mark = cat.changes.head()
    cat.remove_source("s1")
    assert appended(cat, mark) == [("s1", ident("b"), None, "delete")]


def test_a_steward_edit_appends_its_dataset(cat: Catalogue) -> None:
    cat.load(document("a", "b"), fmt="turtle", source="s1")
    version = cat.graphs.current("s1")
    mark = cat.changes.head()
    title = [ox.Literal("Steward's title", language="en")]
    steward.set_field(cat, "s1", "https://ex.org/ds/a", DCT_TITLE, title)
    assert appended(cat, mark) == [("s1", ident("a"), version, "upsert")]
    mark = cat.changes.head()
    steward.clear_field(cat, "s1", "https://ex.org/ds/b", DCT_TITLE, now=True)
    assert appended(cat, mark) == [("s1", ident("b"), version, "upsert")]
    mark = cat.changes.head()  # an edit of a dataset the source does not hold publishes nothing
    steward.set_field(cat, "s1", "https://ex.org/ds/zz", DCT_TITLE, title)
    assert appended(cat, mark) == []


def test_lab_edits_append_the_lab_in_the_labs_source(cat: Catalogue) -> None:
    load_registry(cat)
    labs = list_labs(cat)
    version = cat.graphs.current(LABS_SOURCE)
    assert sorted(r for r in appended(cat, 0) if r[0] == LABS_SOURCE) == [
        (LABS_SOURCE, lab.id, version, "upsert") for lab in labs
    ]
    mark = cat.changes.head()
    lab = labs[0]
    edit_lab(cat, lab.id, {"fees": "10 EUR"}, staff_factory=lab.factory)
    assert appended(cat, mark) == [(LABS_SOURCE, lab.id, cat.graphs.current(LABS_SOURCE), "upsert")]


# -- harvests ---------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


@pytest.fixture
def hcat(server: Loopback, db_settings: Settings) -> Iterator[Catalogue]:
    settings = server.settings(db_settings.home, database_url=db_settings.database_url)
    with Catalogue.open(_migrated(settings)) as c:
        yield c


def test_harvests_append_new_changed_and_deleted_records_only(
    hcat: Catalogue, server: Loopback, corpus: Path
) -> None:
    portal = CkanPortal(server, corpus_packages(corpus))
    HarvestSources(hcat.database).add("demo", "ckan", portal.url, options={"rows": 2})

    def harvest() -> str | None:
        job = Harvester(hcat, validate=False).run("demo")
        assert job.status == "succeeded", job.message
        return hcat.graphs.current("demo")

    def pid(package: dict[str, str]) -> str:
        return dataset_id(f"{portal.url}/dataset/{package['id']}")

    first = harvest()
    assert sorted(appended(hcat, 0)) == sorted(
        ("demo", pid(p), first, "upsert") for p in portal.packages
    )
    mark = hcat.changes.head()
    harvest()  # nothing changed at the source: nothing appended
    assert appended(hcat, mark) == []
    portal.packages[0] = {**portal.packages[0], "title": "A new title"}
    removed = portal.packages.pop()
    third = harvest()
    assert sorted(appended(hcat, mark)) == sorted(
        [
            ("demo", pid(portal.packages[0]), third, "upsert"),
            ("demo", pid(removed), third, "delete"),
        ]
    )


# -- concurrency and a graph server --------------------------------------------------------------


def test_concurrent_publishes_on_postgresql_are_read_without_a_gap(
    pg_url: str, tmp_path: Path
) -> None:
    """Two threads publish two sources while a reader polls from its last position: what
    it read, in order, is the final feed (every publish's rows together)."""
    from catalog.settings import get_settings

    settings = _migrated(get_settings(home=tmp_path / "home", database_url=pg_url))
    seen: list[FeedRow] = []
    stop = threading.Event()
    with Catalogue.open(settings) as cat:

        def poll() -> None:
            position = 0
            while not stop.is_set():
                rows, position = cat.changes.changes_since(position, limit=7)
                seen.extend(rows)
                time.sleep(0.001)
            seen.extend(cat.changes.changes_since(position, limit=10_000)[0])

        def publish(source: str) -> None:
            for round_ in range(6):
                names = [f"{source}{i}" for i in range(round_, round_ + 10)]
                cat.load(document(*names, title=str(round_)), fmt="turtle", source=source)

        reader = threading.Thread(target=poll)
        writers = [threading.Thread(target=publish, args=(s,)) for s in ("p", "q")]
        reader.start()
        for t in writers:
            t.start()
        for t in writers:
            t.join(120)
        stop.set()
        reader.join(30)
        final, _ = cat.changes.changes_since(0, limit=10_000)
    assert len(final) == 2 * 6 * 10
    assert [r.seq for r in seen] == [r.seq for r in final]
    for source in ("p", "q"):  # each publish's rows are contiguous
        runs = [r.source for r in final]
        starts = [i for i, s in enumerate(runs) if s == source and (i == 0 or runs[i - 1] != s)]
        assert all(runs[i : i + 10] == [source] * 10 for i in starts)


def test_a_catalogue_over_an_oxigraph_server_and_postgresql_appends(
    oxigraph_server: OxigraphServer, pg_url: str, tmp_path: Path
) -> None:
    settings = _migrated(sparql_settings(oxigraph_server, tmp_path / "home", database_url=pg_url))
    with Catalogue.open(settings) as cat:
        cat.store.update("DROP ALL")
        assert cat.database.dialect == "postgresql" and cat.settings.store_backend == "sparql"
        cat.load(document("a", "b"), fmt="turtle", source="remote", replace=True)
        first = cat.graphs.current("remote")
        cat.load(document("b"), fmt="turtle", source="remote", replace=True)
        second = cat.graphs.current("remote")
        assert first != second
        assert appended(cat, 0) == [
            ("remote", ident("a"), first, "upsert"),
            ("remote", ident("b"), first, "upsert"),
            ("remote", ident("b"), second, "upsert"),
            ("remote", ident("a"), second, "delete"),
        ]
