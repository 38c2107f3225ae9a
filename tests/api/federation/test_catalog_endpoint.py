"""/catalog: negotiation, Hydra paging, filters, no bookkeeping, official DCAT-AP 3 shapes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from api.app import create_app
from catalog.demo import load_demo
from catalog.federation.dcat_export import catalogue_iri
from catalog.namespaces import DCAT, DCT, HYDRA, INTERNAL_PREDICATES
from catalog.settings import get_settings
from catalog.validation import load_shapes, validate_graph

DEMO_TOTAL = 41


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(get_settings(home=tmp_path))) as c:
        load_demo(c.app.state.services.catalogue)
        yield c


def page_graph(client: TestClient, url: str, fmt: str = "turtle", **headers: str) -> Graph:
    res = client.get(url, headers=headers)
    assert res.status_code == 200, res.text
    return Graph().parse(data=res.text, format=fmt)


def test_the_three_syntaxes_carry_the_same_graph(client: TestClient) -> None:
    ttl = page_graph(client, "/catalog?page_size=5", Accept="text/turtle")
    jsonld = page_graph(client, "/catalog?page_size=5", "json-ld", Accept="application/ld+json")
    xml = page_graph(client, "/catalog?page_size=5", "xml", Accept="application/rdf+xml")
    from rdflib.compare import isomorphic

    assert isomorphic(ttl, jsonld)
    assert isomorphic(ttl, xml)
    assert client.get("/catalog", headers={"Accept": "text/csv"}).status_code == 406


def test_hydra_paging_reaches_every_dataset_once(client: TestClient) -> None:
    url, seen, pages = "/catalog?page_size=10", [], 0
    while url:
        g = page_graph(client, url)
        pages += 1
        view = next(g.subjects(RDF.type, HYDRA.PartialCollectionView))
        assert int(g.value(view, HYDRA.totalItems)) == DEMO_TOTAL
        seen += list(g.subjects(RDF.type, DCAT.Dataset))
        nxt = g.value(view, HYDRA.next)
        url = str(nxt).replace("http://testserver", "") if nxt else ""
    assert pages == 5
    assert len(seen) == len(set(seen)) == DEMO_TOTAL


def test_filters_narrow_the_listing(client: TestClient) -> None:
    health = page_graph(client, "/catalog?data_space=health&page_size=500")
    n_health = len(set(health.subjects(RDF.type, DCAT.Dataset)))
    assert 0 < n_health < DEMO_TOTAL
    by_source = page_graph(client, "/catalog?source=demo-health&page_size=500")
    assert set(by_source.subjects(RDF.type, DCAT.Dataset)) == set(
        health.subjects(RDF.type, DCAT.Dataset)
    )
    # modified_since: when the record changed in this catalogue (the demo: at load), not
    # its publisher's dct:modified
    everything = page_graph(client, "/catalog?modified_since=2000-01-01&page_size=500")
    assert len(set(everything.subjects(RDF.type, DCAT.Dataset))) == DEMO_TOTAL
    later = page_graph(client, "/catalog?modified_since=2999-01-01&page_size=500")
    assert not set(later.subjects(RDF.type, DCAT.Dataset))
    bad = client.get("/catalog?modified_since=yesterday")
    assert bad.status_code == 400
    assert bad.json()["error"]["where"] == "modified_since"
    assert client.get("/catalog?source=../etc").status_code == 400


def test_no_bookkeeping_or_internal_graph_leaks(client: TestClient) -> None:
    g = page_graph(client, "/catalog?page_size=500")
    predicates = {str(p) for p in g.predicates()}
    assert not predicates & INTERNAL_PREDICATES
    assert not [t for t in g if any("urn:datalab:" in str(x) for x in t)]


def test_data_space_catalogues_are_sub_catalogues(client: TestClient) -> None:
    g = page_graph(client, "/catalog?page_size=500")
    root = URIRef(catalogue_iri(client.app.state.services.settings.base_iri))
    parts = set(g.objects(root, DCT.hasPart))
    assert len(parts) == 4
    for part in parts:
        assert (part, RDF.type, DCAT.Catalog) in g
        assert isinstance(g.value(part, DCT.title), Literal)
        assert list(g.objects(part, DCAT.dataset))


def test_the_export_conforms_to_the_official_dcat_ap_3_shapes(
    client: TestClient, corpus: Path
) -> None:
    g = page_graph(client, "/catalog?page_size=500")
    shapes = load_shapes(corpus / "dcat-ap" / "3.0.1" / "dcat-ap-SHACL.ttl")
    report = validate_graph(g, shapes, timeout_s=120, background=False)  # the export as is
    assert report.conforms, report.to_text()[:4000]
