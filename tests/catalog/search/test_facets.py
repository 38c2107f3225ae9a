"""Facet counts agree with SPARQL counts on the same graph; filters combine as documented."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest

from catalog.dataspaces import builtin_data_spaces
from catalog.errors import InvalidInput
from catalog.facts.derive import derive_facts, index_triples
from catalog.facts.read import catalogue_facts
from catalog.graphs import CURRENT_GRAPHS
from catalog.namespaces import DCAT, DCT, DLAB
from catalog.search import SearchService
from catalog.search.vocab import access_facet
from catalog.service import Catalogue
from tests.catalog.search.conftest import ids

_SPARQL = {
    "theme": (DCAT.theme, "http://publications.europa.eu/resource/authority/data-theme/"),
    "country": (DCT.spatial, "http://publications.europa.eu/resource/authority/country/"),
}


def sparql_counts(catalogue: Catalogue, facet: str) -> dict[str, int]:
    pred, ns = _SPARQL[facet]
    rows = catalogue.store.select(
        f"SELECT ?v (COUNT(DISTINCT ?d) AS ?n) WHERE {{ {CURRENT_GRAPHS} GRAPH ?g {{ "
        f'?d <{DLAB.datasetId}> ?id ; <{pred}> ?v }} FILTER(STRSTARTS(STR(?v), "{ns}")) }} '
        "GROUP BY ?v"
    )
    return {r["v"].value[len(ns) :]: int(r["n"].value) for r in rows}


def space_counts(catalogue: Catalogue) -> dict[str, int]:
    """Data spaces come from each dataset's facts (declared by its source, HealthDCAT-AP,
    the EHDS, or its themes), the one reading the facet and the offers share."""
    return dict(Counter(s for f in catalogue_facts(catalogue) for s in f.space_ids))


def counts(result: object, facet: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in result.facets[facet]}  # type: ignore[attr-defined]


@pytest.mark.parametrize("facet", sorted(_SPARQL))
def test_demo_facet_counts_match_sparql(demo_search: SearchService, facet: str) -> None:
    result = demo_search.search("", limit=1)
    assert result.total == demo_search.catalogue.count()
    assert counts(result, facet) == sparql_counts(demo_search.catalogue, facet)


def test_demo_data_space_counts_match_the_facts(demo_search: SearchService) -> None:
    result = demo_search.search("", limit=1)
    assert counts(result, "data_space") == space_counts(demo_search.catalogue)


def test_fixture_facet_counts_match_sparql(search: SearchService) -> None:
    result = search.search("")
    for facet in _SPARQL:
        assert counts(result, facet) == sparql_counts(search.catalogue, facet), facet
    assert counts(result, "data_space") == space_counts(search.catalogue)


def test_counts_follow_query_and_filters(search: SearchService) -> None:
    result = search.search("hospital", filters={"data_space": ["health"]})
    assert result.total == len(result.items)
    assert counts(result, "data_space") == {"health": result.total}
    themed = search.search("", filters={"theme": ["HEAL"], "country": ["DEU", "POL"]})
    assert sorted(ids(themed)) == ["kliniken-bayern", "szpitale-polska"]
    assert counts(themed, "country") == {"DEU": 1, "POL": 1}


def test_access_scale_licence_format_and_labels(search: SearchService) -> None:
    result = search.search("", langs=["de"])
    assert counts(result, "access") == {
        "public": 4,
        "restricted": 1,
        "health-data-permit": 1,  # NON_PUBLIC reached through a health data access body
        "academic": 1,  # CLARIN "ACA"
    }
    labels = {v["value"]: v["label"] for v in result.facets["access"]}
    assert labels["public"] == "Öffentlich"
    assert counts(result, "format") == {"CSV": 2, "PARQUET": 1}
    assert counts(result, "licence") == {"CC_BY_4_0": 3}
    publishers = {v["label"] for v in result.facets["publisher"]}
    assert "Landesamt für Gesundheit Bayern (fiktiv)" in publishers


def _facet(rights: list[str | ox.Literal], hdab: bool) -> str:
    ds = ox.NamedNode("https://example.org/ds")
    triples = [
        ox.Triple(
            ds,
            ox.NamedNode("http://purl.org/dc/terms/accessRights"),
            r if isinstance(r, ox.Literal) else ox.NamedNode(r),
        )
        for r in rights
    ]
    if hdab:
        triples.append(
            ox.Triple(
                ds,
                ox.NamedNode("http://healthdataportal.eu/ns/health#hdab"),
                ox.NamedNode("https://example.org/hdab"),
            )
        )
    facts = derive_facts(index_triples(triples), ds.value, "ds", builtin_data_spaces())
    return access_facet(facts)


def test_access_level_mapping() -> None:
    eu = "http://publications.europa.eu/resource/authority/access-right/"
    assert _facet([eu + "PUBLIC"], False) == "public"
    assert _facet([ox.Literal("PUB")], False) == "public"
    assert _facet([ox.Literal("RES")], False) == "restricted"
    assert _facet([ox.Literal("ACA")], False) == "academic"
    assert _facet([eu + "NON_PUBLIC"], True) == "health-data-permit"
    assert _facet([eu + "PUBLIC", eu + "NON_PUBLIC"], False) == "non-public"
    assert _facet([eu + "PUBLIC", eu + "RESTRICTED"], False) == "restricted"
    assert _facet([eu + "public"], False) == "unknown"  # IRIs are case-sensitive
    assert _facet([], False) == "unknown"


def test_modified_range_bbox_and_sorts(search: SearchService) -> None:
    assert sorted(ids(search.search("", modified_from="2024"))) == [
        "kliniken-bayern",
        "szpitale-polska",
    ]
    assert ids(search.search("", modified_to="2019-12")) == ["diabetes-only-english"]
    assert ids(search.search("", bbox=(23.0, 37.0, 24.0, 39.0))) == ["air-athens"]
    assert ids(search.search("", bbox=(0.0, 0.0, 1.0, 1.0))) == []
    by_date = ids(search.search("", sort="modified"))
    assert by_date[:2] == ["szpitale-polska", "kliniken-bayern"]
    by_title = search.search("", sort="title", langs=["en"]).items
    folded = [h.title.casefold() for h in by_title]
    assert folded[0].startswith("air quality")


def test_cursor_paging_visits_every_hit_once(search: SearchService) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = search.search("", limit=3, cursor=cursor, sort="title")
        seen += [h.id for h in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": {"colour": ["red"]}},
        {"sort": "random"},
        {"cursor": "not-a-cursor"},
        {"modified_from": "last week"},
        {"q": "-only -exclusions"},
        {"q": "a*"},
        {"q": "x" * 600},
    ],
)
def test_bad_input_is_refused_clearly(search: SearchService, kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        search.search(**kwargs)  # type: ignore[arg-type]
