"""The whole-graph projection (one scan per predicate, put together in Python) gives every
dataset exactly the search document the one-dataset projection (SPARQL around its id)
gives: same texts in the same order, facets, labels, access, date and bounding box."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from catalog.demo import load_demo
from catalog.facts.derive import FACT_PREDICATES
from catalog.facts.read import read_predicates
from catalog.search.project import SearchDoc, project_graph
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from tests.catalog.test_roundtrip import PARSABLE
from tests.conftest import CORPUS

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The projection does not depend on the text engine: one run each."""
    return get_settings(home=tmp_path / "home")


def _both(cat: Catalogue, source: str) -> tuple[list[SearchDoc], list[SearchDoc]]:
    graph = cat.graphs.current(source)
    assert graph is not None
    whole = list(project_graph(cat, source, graph))
    one_by_one = list(project_graph(cat, source, graph, [d.id for d in whole]))
    return whole, one_by_one


def test_demo_and_fixture_records_project_the_same_both_ways(catalogue: Catalogue) -> None:
    load_demo(catalogue)
    catalogue.load_file(DATA / "multilingual.ttl", source="fixture", replace=True)
    seen = 0
    for src in catalogue.sources():
        whole, one_by_one = _both(catalogue, src.name)
        assert whole == one_by_one, src.name
        seen += len(whole)
    assert seen >= 10
    # what a user searches for is there: titles, facets, publisher names as keywords
    assert all(d.titles for d in whole)
    assert any("access" in d.facets and "theme" in d.facets for d in whole)


def test_generated_records_with_boxes_and_formats_project_the_same(catalogue: Catalogue) -> None:
    from bench.scale_bench import source_turtle

    catalogue.load(source_turtle(0, 300), fmt="turtle", source="gen", replace=True)
    whole, one_by_one = _both(catalogue, "gen")
    assert len(whole) == 300
    assert whole == one_by_one
    assert sum(d.bbox is not None for d in whole) == 75  # one in four has a box
    assert all(d.modified for d in whole)


def test_media_types_count_only_where_no_distribution_names_a_format(
    catalogue: Catalogue,
) -> None:
    ttl = b"""
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://e.org/mixed> a dcat:Dataset ; dct:title "Mixed"@en ;
  dcat:distribution <https://e.org/m1> , <https://e.org/m2> .
<https://e.org/m1> dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> .
<https://e.org/m2> dct:format <http://publications.europa.eu/resource/authority/file-type/JSON> .
<https://e.org/media> a dcat:Dataset ; dct:title "Media only"@en ;
  dcat:distribution <https://e.org/x1> .
<https://e.org/x1> dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> .
"""
    catalogue.load(ttl, fmt="turtle", source="fmt", replace=True)
    whole, one_by_one = _both(catalogue, "fmt")
    assert whole == one_by_one
    formats = {d.titles[0][1]: d.facets["format"] for d in whole}
    assert formats == {"Mixed": {"JSON"}, "Media only": {"CSV"}}


@pytest.mark.parametrize("rel", PARSABLE)
def test_corpus_records_project_the_same_both_ways(catalogue: Catalogue, rel: str) -> None:
    catalogue.load_file(CORPUS / rel, source="corpus", replace=True)
    whole, one_by_one = _both(catalogue, "corpus")
    assert whole == one_by_one


class _SelectOnly:
    """The embedded store seen through SELECT alone, as a backend without the predicate
    scan (:class:`catalog.store.base.ScansPredicates`) is."""

    def __init__(self, store: object) -> None:
        self.select = store.select  # type: ignore[attr-defined]


def test_the_embedded_predicate_scan_reads_what_select_reads(catalogue: Catalogue) -> None:
    load_demo(catalogue)
    for src in catalogue.sources():
        fast = read_predicates(catalogue, src.graph, FACT_PREDICATES)
        plain = SimpleNamespace(store=_SelectOnly(catalogue.store))
        assert read_predicates(plain, src.graph, FACT_PREDICATES) == fast  # type: ignore[arg-type]
    assert fast
