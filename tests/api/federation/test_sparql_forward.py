"""/sparql on a graph server (Oxigraph server, Virtuoso 7): forwarded, never copied.

The same demo catalogue, plus a RESTRICTED and a NON_PUBLIC dataset next to public ones,
is served by the embedded endpoint (a worker over a copy) and by the forwarding endpoint
on each server; ordinary queries must answer alike, and nothing but the public
projections (no bookkeeping predicate, version, meta or overrides graph) may be reached.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.demo import load_demo
from catalog.errors import QueryTimeout
from catalog.federation import sparql_endpoint
from catalog.federation.sparql_forward import ForwardingEndpoint
from catalog.federation.sparql_guard import ResultTooLarge
from catalog.federation.sparql_public import public_graph_iri
from catalog.federation.sparql_results import RESULTS_JSON
from catalog.graphs import META_GRAPH
from catalog.namespaces import INTERNAL_PREDICATES
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from catalog.store.sparql import SparqlStore
from tests.catalog.store.conftest import clear, sparql_settings

JSON = {"Accept": RESULTS_JSON}
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
EXTRA = f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://x.example/open> a dcat:Dataset ; dct:identifier "open-1" ; dct:title "Open"@en ;
  dct:accessRights <{ACCESS}PUBLIC> .
<https://x.example/restricted> a dcat:Dataset ; dct:identifier "restricted-1" ;
  dct:title "Restricted"@en ; dct:accessRights <{ACCESS}RESTRICTED> .
<https://x.example/closed> a dcat:Dataset ; dct:identifier "closed-1" ;
  dct:title "Closed"@en ; dct:accessRights <{ACCESS}NON_PUBLIC> .
""".encode()
SOURCES = ("demo-health", "demo-language", "demo-earth-observation", "demo-research", "local")


def public_graphs(client: TestClient) -> set[str]:
    """The public graphs of the client's catalogue (under its base IRI)."""
    base = client.app.state.services.settings.base_iri
    return {public_graph_iri(base, s) for s in SOURCES}


ORDINARY = [
    "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
    "SELECT ?d ?t WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
    "<http://purl.org/dc/terms/title> ?t } ORDER BY ?d ?t",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "SELECT DISTINCT ?p WHERE { ?s ?p ?o } ORDER BY ?p",
    "SELECT ?d ?r WHERE { ?d <http://purl.org/dc/terms/accessRights> ?r } ORDER BY ?d",
    'ASK { ?d <http://purl.org/dc/terms/title> "Restricted"@en }',
]


def _load(cat: Catalogue) -> None:
    load_demo(cat)
    cat.load(EXTRA, fmt="turtle")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = get_settings(home=tmp_path_factory.mktemp("embedded") / "home")
    with TestClient(create_app(settings)) as client:
        _load(client.app.state.services.catalogue)
        yield client


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    server = request.getfixturevalue(
        "oxigraph_server" if request.param == "oxigraph" else "virtuoso_server"
    )
    return sparql_settings(
        server,
        tmp_path_factory.mktemp(request.param) / "home",
        sparql_endpoint_timeout_s=5.0,
        sparql_endpoint_max_rows=900,
    )


@pytest.fixture(scope="module")
def forwarded(server_settings: Settings) -> Iterator[TestClient]:
    """A replica on the graph server; building the embedded copy would fail the test."""
    store = SparqlStore.from_settings(server_settings)
    clear(store)
    store.close()

    copy = sparql_endpoint.snapshot

    def no_copy(cat: Catalogue) -> bytes:
        if cat.settings.store_backend == "sparql":
            raise AssertionError("a replica on a graph server built a copy of the public graphs")
        return copy(cat)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sparql_endpoint, "snapshot", no_copy)
        with TestClient(create_app(server_settings)) as client:
            _load(client.app.state.services.catalogue)
            yield client


def _ask(client: TestClient, query: str, accept: str = RESULTS_JSON):
    return client.get("/sparql", params={"query": query}, headers={"Accept": accept})


def _rows(res) -> list[dict]:
    assert res.status_code == 200, res.text
    body = res.json()
    return body["results"]["bindings"] if "results" in body else [body["boolean"]]


def test_the_replica_forwards_and_holds_no_copy(forwarded: TestClient) -> None:
    endpoint = forwarded.app.state.services.sparql
    assert isinstance(endpoint, ForwardingEndpoint)
    assert not hasattr(endpoint, "_proc")  # no worker process, hence no copy to load
    assert _rows(_ask(forwarded, ORDINARY[0]))[0]["n"]["value"] == "44"


def _sorted(rows: list) -> list:
    """Rows in a fixed order: SPARQL leaves the order of literals in other languages open."""
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True))


@pytest.mark.parametrize("query", ORDINARY)
def test_ordinary_queries_answer_as_the_embedded_endpoint(
    forwarded: TestClient, embedded: TestClient, query: str
) -> None:
    assert _sorted(_rows(_ask(forwarded, query))) == _sorted(_rows(_ask(embedded, query)))
    mine, theirs = _ask(forwarded, query, "text/csv"), _ask(embedded, query, "text/csv")
    mine_rows = list(csv.reader(io.StringIO(mine.text)))
    their_rows = list(csv.reader(io.StringIO(theirs.text)))
    assert mine_rows[0] == their_rows[0]
    assert _sorted(mine_rows[1:]) == _sorted(their_rows[1:])


def test_construct_answers_as_the_embedded_endpoint(
    forwarded: TestClient, embedded: TestClient
) -> None:
    query = (
        "CONSTRUCT { ?d <http://purl.org/dc/terms/title> ?t } WHERE "
        "{ ?d a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> ?t }"
    )
    for accept, fmt in (("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", None)):
        mine, theirs = _ask(forwarded, query, accept), _ask(embedded, query, accept)
        assert mine.status_code == 200, mine.text
        assert mine.headers["content-type"].startswith(accept)
        parse_as = fmt or ox.RdfFormat.N_TRIPLES
        assert set(ox.parse(mine.content, format=parse_as)) == set(
            ox.parse(theirs.content, format=parse_as)
        )


def test_restricted_records_are_as_public_as_in_the_copy(
    forwarded: TestClient, embedded: TestClient
) -> None:
    """Access levels gate samples, not metadata: both endpoints show the same records."""
    query = (
        "SELECT ?d ?r WHERE { ?d <http://purl.org/dc/terms/accessRights> ?r "
        "FILTER(STRSTARTS(STR(?d), 'https://x.example/')) } ORDER BY ?d"
    )
    assert _rows(_ask(forwarded, query)) == _rows(_ask(embedded, query))


def test_internal_predicates_and_graphs_never_appear(forwarded: TestClient) -> None:
    everything = _ask(forwarded, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert everything.status_code == 200
    assert {b["g"]["value"] for b in _rows(everything)} == public_graphs(forwarded)
    default = _ask(forwarded, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }")
    assert not {b["p"]["value"] for b in _rows(default)} & INTERNAL_PREDICATES
    graph = _ask(forwarded, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "application/n-triples")
    assert graph.status_code == 200
    text = graph.text
    assert "urn:datalab:" not in text
    assert not any(p in text for p in INTERNAL_PREDICATES)
    described = _ask(forwarded, "DESCRIBE <https://x.example/closed>", "application/n-triples")
    assert described.status_code == 200 and "Closed" in described.text
    assert "urn:datalab:" not in described.text
    hidden = _ask(
        forwarded, f"SELECT * WHERE {{ VALUES ?g {{ <{META_GRAPH}> }} GRAPH ?g {{ ?s ?p ?o }} }}"
    )
    assert _rows(hidden) == []


@pytest.mark.parametrize(
    "query",
    [
        f"ASK {{ GRAPH <{META_GRAPH}> {{ ?s ?p ?o }} }}",
        "PREFIX m: <urn:datalab:> SELECT * WHERE { GRAPH m:meta { ?s ?p ?o } }",
        "SELECT * WHERE { GRAPH <urn:datalab:overrides:local> { ?s ?p ?o } }",
        "SELECT * FROM NAMED <urn:datalab:meta> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o FILTER(bif:contains(?o, 'x')) }",
        "SELECT * WHERE { ?s ?p ?o FILTER(<sql:anything>(?o)) }",
    ],
)
def test_queries_naming_other_graphs_or_server_functions_are_refused(
    forwarded: TestClient, query: str
) -> None:
    res = _ask(forwarded, query)
    assert res.status_code == 400, res.text
    assert res.json()["error"]["code"] in ("query_refused", "invalid_input")


def test_a_version_graph_is_refused(forwarded: TestClient) -> None:
    cat = forwarded.app.state.services.catalogue
    version = cat.graphs.current("local")
    res = _ask(forwarded, f"ASK {{ GRAPH <{version}> {{ ?s ?p ?o }} }}")
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "query_refused"


def test_projections_follow_publishes(forwarded: TestClient) -> None:
    cat = forwarded.app.state.services.catalogue
    cat.load(
        b"<https://x.example/later> a <http://www.w3.org/ns/dcat#Dataset> ; "
        b'<http://purl.org/dc/terms/identifier> "later-1" .',
        fmt="turtle",
    )
    try:
        assert _rows(_ask(forwarded, ORDINARY[0]))[0]["n"]["value"] == "45"
    finally:
        page = cat.datasets(source="local", limit=100).items
        cat.delete(next(d.id for d in page if d.iri == "https://x.example/later"))
    assert _rows(_ask(forwarded, ORDINARY[0]))[0]["n"]["value"] == "44"


def test_an_answer_cut_by_the_server_or_the_row_cap_says_so(forwarded: TestClient) -> None:
    res = _ask(forwarded, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert res.status_code == 200, res.text
    assert res.headers["x-datalab-truncated"] == "true"  # our cap (900) before Virtuoso's
    assert len(_rows(res)) == 900
    assert {b["g"]["value"] for b in _rows(res)} <= public_graphs(forwarded)


def _endpoint(settings: Settings, **limits: object) -> tuple[ForwardingEndpoint, SparqlStore]:
    tight = settings.model_copy(update=limits)
    store = SparqlStore.from_settings(tight)
    return ForwardingEndpoint(Catalogue(tight, store), store), store


def test_an_answer_past_the_byte_cap_is_refused(
    forwarded: TestClient, server_settings: Settings
) -> None:
    endpoint, store = _endpoint(server_settings, sparql_max_result_bytes=4000)
    try:
        with pytest.raises(ResultTooLarge):
            endpoint.query(
                "SELECT * WHERE { ?s ?p ?o } LIMIT 500",
                results_media=RESULTS_JSON,
                graph_media=None,
            )
        small = endpoint.query(ORDINARY[0], results_media=RESULTS_JSON, graph_media=None)
        assert b'"44"' in small.body
    finally:
        store.close()


def test_a_query_past_the_deadline_is_stopped(
    forwarded: TestClient, server_settings: Settings
) -> None:
    endpoint, store = _endpoint(server_settings, sparql_endpoint_timeout_s=0.2)
    # about six million filtered pairs: seconds, not more (the server keeps running it)
    slow = (
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f "
        "FILTER(STRLEN(STR(?c)) > STRLEN(STR(?f))) }"
    )
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeout):
            endpoint.query(slow, results_media=RESULTS_JSON, graph_media=None)
        assert time.monotonic() - started < 2.0
    finally:
        store.close()


def test_no_source_means_an_empty_dataset(tmp_path: Path, server_settings: Settings) -> None:
    settings = server_settings.model_copy(update={"home": tmp_path})
    store = SparqlStore.from_settings(settings)
    try:
        store.update("INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> <urn:x:o> } }")
        endpoint = ForwardingEndpoint(Catalogue(settings, store), store)
        # the forwarded fixture's catalogue still lives on this server: only its graphs
        answer = endpoint.query(
            "ASK { <urn:x:s> ?p ?o }", results_media=RESULTS_JSON, graph_media=None
        )
        assert b"false" in answer.body
    finally:
        store.drop("urn:x:g")
        store.close()
