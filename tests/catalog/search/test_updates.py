"""The index follows loads, upserts, deletes and removed sources, and survives corruption."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from catalog.loading import load_quads
from catalog.rdf_input import iter_triples
from catalog.search import SearchService
from catalog.service import Catalogue
from tests.catalog.search.conftest import ids

NEW = b"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://search-fixture.example.org/bee-counts> a dcat:Dataset ; dct:identifier "fx-9" ;
  dct:title "Honigbienen-Zaehlung"@de , "Honeybee counts"@en ;
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> .
"""


def test_upsert_is_visible_and_partial(search: SearchService, loaded: Catalogue) -> None:
    assert ids(search.search("honeybee", fresh=False)) == []
    loaded.load(NEW, fmt="turtle", source="fixture")  # the listener updates the index
    assert ids(search.search("honeybee", fresh=False)) == ["bee-counts"]
    assert search.search("", fresh=False).total == 8
    indexed = search.index.indexed_sources()["fixture"]
    assert indexed.split("|")[0] == loaded.graphs.current("fixture")


def test_delete_and_remove_source(search: SearchService, loaded: Catalogue) -> None:
    hit = search.search("glucose").items[0]
    loaded.delete(hit.id)
    assert ids(search.search("glucose", fresh=False)) == []
    assert search.search("", fresh=False).total == 6
    loaded.remove_source("fixture")
    assert search.search("", fresh=False).total == 0


def test_replace_load_drops_what_the_source_no_longer_has(
    search: SearchService, loaded: Catalogue
) -> None:
    loaded.load(NEW, fmt="turtle", source="fixture", replace=True)
    assert ids(search.search("", fresh=False)) == ["bee-counts"]


def test_publish_that_bypasses_the_catalogue_is_caught_up(
    search: SearchService, loaded: Catalogue
) -> None:
    """A harvest run publishes through load_quads directly; the next search syncs."""
    quads = iter_triples(NEW, ox.RdfFormat.TURTLE, loaded.limits)
    load_quads(loaded.store, quads, source="harvested", replace=True)
    assert ids(search.search("honeybee", fresh=False)) == []
    assert ids(search.search("honeybee")) == ["bee-counts"]


def test_listener_added_by_open_and_removed_by_close(loaded: Catalogue) -> None:
    service = SearchService.open(loaded)
    assert service.on_publish in loaded.on_publish
    service.close()
    assert service.on_publish not in loaded.on_publish


def test_corrupt_or_missing_index_is_rebuilt(loaded: Catalogue) -> None:
    service = SearchService.open(loaded)
    path: Path = service.index.path
    service.close()
    path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    service = SearchService.open(loaded)
    try:
        assert service.search("glucose").total == 1
    finally:
        service.close()
    path.unlink()
    service = SearchService.open(loaded)
    try:
        assert service.search("").total == 7
    finally:
        service.close()


def test_rebuild_equals_incremental(search: SearchService, loaded: Catalogue) -> None:
    loaded.load(NEW, fmt="turtle", source="fixture")
    loaded.delete(search.search("glucose").items[0].id)
    before = search.search("", limit=50)
    search.rebuild()
    after = search.search("", limit=50)
    assert [h.id for h in before.items] == [h.id for h in after.items]
    assert before.facets == after.facets
