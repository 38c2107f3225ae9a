"""/sparql as a SPARQL 1.1 Protocol client sees it: SPARQLWrapper against a live server.

Every query form in every format SPARQLWrapper asks for, by GET, POST form and POST
direct; malformed requests are 400 with the reason; updates are refused whatever way they
come; every read answer (errors included) is open to other origins, and OPTIONS answers
CORS preflights.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.dom.minidom import Document

import httpx
import pytest
from rdflib import Graph, URIRef
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from catalog.demo import load_demo
from catalog.service import Catalogue
from catalog.settings import get_settings
from tests.app_server import serving

DCAT_DATASET = "http://www.w3.org/ns/dcat#Dataset"
COUNT = f"SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ ?d a <{DCAT_DATASET}> }}"
ASK = f"ASK {{ ?d a <{DCAT_DATASET}> }}"
CONSTRUCT = f"CONSTRUCT {{ ?d a <{DCAT_DATASET}> }} WHERE {{ ?d a <{DCAT_DATASET}> }}"
LAND_COVER = "https://demo.datalab.example.eu/dataset/earth-observation/land-cover-europe-2021"
DESCRIBE = f"DESCRIBE <{LAND_COVER}>"
METHODS = {"GET": (GET, URLENCODED), "POST form": (POST, URLENCODED)}
METHODS["POST direct"] = (POST, POSTDIRECTLY)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home: Path = tmp_path_factory.mktemp("sparql-protocol")
    settings = get_settings(home=home, offers_index="off")
    with Catalogue.open(settings) as cat:
        load_demo(cat)
    with serving(settings) as url:
        yield f"{url}/sparql"


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """SPARQLWrapper uses urllib, which reads proxies from the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def wrapper(url: str, method: str, query: str, fmt: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(url)
    http_method, request_method = METHODS[method]
    sparql.setMethod(http_method)
    sparql.setRequestMethod(request_method)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    return sparql


def run(url: str, method: str, query: str, fmt: str) -> tuple[str, Any]:
    result = wrapper(url, method, query, fmt).query()
    return result.info()["content-type"], result.convert()


@pytest.mark.parametrize("method", METHODS)
def test_select_in_every_results_format(endpoint: str, method: str) -> None:
    media, doc = run(endpoint, method, COUNT, JSON)
    assert media.startswith("application/sparql-results+json")
    assert doc["results"]["bindings"][0]["n"]["value"] == "41"

    media, dom = run(endpoint, method, COUNT, XML)
    assert media.startswith("application/sparql-results+xml") and isinstance(dom, Document)
    (literal,) = dom.getElementsByTagName("literal")
    assert literal.firstChild is not None and literal.firstChild.nodeValue == "41"

    media, body = run(endpoint, method, COUNT, CSV)
    assert media.startswith("text/csv")
    assert list(csv.reader(io.StringIO(body.decode()))) == [["n"], ["41"]]

    media, body = run(endpoint, method, COUNT, TSV)
    assert media.startswith("text/tab-separated-values")
    assert body.decode().splitlines() == ["?n", "41"]


@pytest.mark.parametrize("method", METHODS)
def test_ask_in_every_results_format(endpoint: str, method: str) -> None:
    assert run(endpoint, method, ASK, JSON)[1]["boolean"] is True
    dom = run(endpoint, method, ASK, XML)[1]
    (boolean,) = dom.getElementsByTagName("boolean")
    assert boolean.firstChild is not None and boolean.firstChild.nodeValue == "true"
    assert run(endpoint, method, ASK, CSV)[1].decode().splitlines()[-1] == "true"
    assert run(endpoint, method, ASK, TSV)[1].decode().splitlines()[-1] == "true"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
def test_graphs_in_every_rdf_format(endpoint: str, method: str, query: str) -> None:
    graphs: dict[str, Graph] = {}
    for fmt, media_type in [
        (TURTLE, "text/turtle"),
        (N3, "text/turtle"),
        (RDFXML, "application/rdf+xml"),
        (XML, "application/rdf+xml"),
        (JSONLD, "application/ld+json"),
    ]:
        media, converted = run(endpoint, method, query, fmt)
        assert media.startswith(media_type), (fmt, media)
        if isinstance(converted, bytes):  # Turtle and N3 come back as text
            converted = Graph().parse(data=converted, format="turtle")
        graphs[fmt] = Graph() + converted  # JSON-LD comes as a Dataset: its triples
    # N-Triples is not one of SPARQLWrapper's names: it is asked for by Accept
    sparql = wrapper(endpoint, method, query, N3)
    sparql.addCustomHttpHeader("Accept", "application/n-triples")
    result = sparql.query()
    assert result.info()["content-type"].startswith("application/n-triples")
    graphs["nt"] = Graph().parse(data=result.convert(), format="nt")
    sizes = {fmt: len(g) for fmt, g in graphs.items()}
    assert len(set(sizes.values())) == 1 and sizes["nt"] > 0, sizes
    if query == DESCRIBE:
        assert {s for s in graphs["nt"].subjects()} >= {URIRef(LAND_COVER)}


def test_tsv_writes_terms_as_turtle_on_one_line(endpoint: str) -> None:
    query = (
        "SELECT ?iri ?text ?tagged ?typed ?int ?unbound WHERE { BIND(<urn:x:1> AS ?iri) "
        'BIND("tab\\there \\"quoted\\"\\nnext" AS ?text) BIND("Wald"@de AS ?tagged) '
        'BIND("2024-01-02"^^<http://www.w3.org/2001/XMLSchema#date> AS ?typed) '
        "BIND(42 AS ?int) }"
    )
    _, body = run(endpoint, "GET", query, TSV)
    head, row = body.decode().split("\n")[:2]
    assert head.split("\t") == ["?iri", "?text", "?tagged", "?typed", "?int", "?unbound"]
    assert row.split("\t") == [
        "<urn:x:1>",
        '"tab\\there \\"quoted\\"\\nnext"',
        '"Wald"@de',
        '"2024-01-02"^^<http://www.w3.org/2001/XMLSchema#date>',
        "42",
        "",
    ]


@pytest.mark.parametrize("method", METHODS)
def test_a_malformed_query_is_400_with_the_reason(endpoint: str, method: str) -> None:
    with pytest.raises(QueryBadFormed) as caught:
        wrapper(endpoint, method, "SELECT ?s WHERE { ?s ?p ", JSON).query()
    assert "invalid SPARQL query" in str(caught.value)


@pytest.mark.parametrize(
    "update",
    ["INSERT DATA { <urn:a> <urn:b> <urn:c> }", "DROP ALL", "LOAD <file:///etc/passwd>"],
)
@pytest.mark.parametrize("request_method", [URLENCODED, POSTDIRECTLY])
def test_updates_are_always_refused(endpoint: str, update: str, request_method: str) -> None:
    sparql = SPARQLWrapper(endpoint)
    sparql.setMethod(POST)
    sparql.setRequestMethod(request_method)
    sparql.setQuery(update)
    with pytest.raises(QueryBadFormed) as caught:
        sparql.query()
    assert "read-only" in str(caught.value)
    assert run(endpoint, "GET", COUNT, JSON)[1]["results"]["bindings"][0]["n"]["value"] == "41"


def test_generic_json_and_xml_accept_get_sparql_results(endpoint: str) -> None:
    for accept, media in [
        ("application/json", "application/sparql-results+json"),
        ("application/xml", "application/sparql-results+xml"),
        ("text/tab-separated-values", "text/tab-separated-values"),
    ]:
        r = httpx.get(endpoint, params={"query": COUNT}, headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    r = httpx.get(endpoint, params={"query": CONSTRUCT}, headers={"Accept": "application/json"})
    assert r.headers["content-type"].startswith("application/ld+json")
    assert json.loads(r.text)
    r = httpx.get(endpoint, params={"query": COUNT}, headers={"Accept": "image/png"})
    assert r.status_code == 406


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}


@pytest.mark.parametrize(
    ("request_args", "where"),
    [
        ({"method": "GET"}, "query"),
        ({"method": "GET", "params": [("query", COUNT), ("query", ASK)]}, "query"),
        ({"method": "POST", "data": {"format": "json"}}, "query"),
        ({"method": "POST", "content": f"query={COUNT}&query={ASK}", "headers": FORM}, "query"),
        ({"method": "POST", "content": COUNT}, "Content-Type"),
        ({"method": "POST", "content": b"ASK { ?s ?p '\xff' }", "headers": DIRECT}, "body"),
        (
            {"method": "POST", "content": "query=ASK%7B%3Fs%3Fp%27%FF%27%7D", "headers": FORM},
            "body",
        ),
        (
            {"method": "POST", "content": COUNT, "headers": DIRECT, "params": {"query": ASK}},
            "query",
        ),
    ],
    ids=[
        "no query",
        "two queries",
        "form without query",
        "form with two",
        "no content type",
        "body not utf-8",
        "form field not utf-8",
        "body and url",
    ],
)
def test_malformed_requests_are_400(endpoint: str, request_args: dict, where: str) -> None:
    r = httpx.request(url=endpoint, **request_args)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_input" and error["where"] == where, error
    assert r.headers["access-control-allow-origin"] == "*"


def test_reads_are_open_to_other_origins(endpoint: str) -> None:
    origin = {"Origin": "https://notebook.example.org"}
    get = httpx.get(endpoint, params={"query": ASK}, headers=origin)
    post = httpx.post(endpoint, data={"query": ASK}, headers=origin)
    direct = httpx.post(
        endpoint,
        content=ASK,
        headers={**origin, "Content-Type": "application/sparql-query"},
    )
    for r in (get, post, direct):
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in r.headers
    preflight = httpx.options(
        endpoint,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert set(preflight.headers["access-control-allow-methods"].split(", ")) == {
        "GET",
        "POST",
        "OPTIONS",
    }
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    refused = httpx.post(endpoint, data={"update": "DROP ALL"}, headers=origin)
    assert refused.status_code == 400
    assert refused.headers["access-control-allow-origin"] == "*"
