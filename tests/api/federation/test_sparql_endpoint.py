"""/sparql: SPARQL 1.1 Protocol, read-only, public graphs only, deadline and row cap (group F)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.demo import load_demo
from catalog.federation.sparql_public import public_graph_iri
from catalog.graphs import META_GRAPH
from catalog.settings import get_settings

JSON = {"Accept": "application/sparql-results+json"}
DEADLINE = 3.0


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = get_settings(
        home=tmp_path, sparql_endpoint_timeout_s=DEADLINE, sparql_endpoint_max_rows=500
    )
    with TestClient(create_app(settings)) as c:
        load_demo(c.app.state.services.catalogue)
        yield c  # the app's services close the endpoint's worker process


COUNT = "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }"


def refused(res, status: int = 400) -> str:
    assert res.status_code == status, res.text
    return res.json()["error"]["code"]


def test_get_and_both_posts_answer_the_same(client: TestClient) -> None:
    get = client.get("/sparql", params={"query": COUNT}, headers=JSON)
    form = client.post("/sparql", data={"query": COUNT}, headers=JSON)
    raw = client.post(
        "/sparql",
        content=COUNT,
        headers={**JSON, "Content-Type": "application/sparql-query"},
    )
    for res in (get, form, raw):
        assert res.status_code == 200, res.text
        assert res.headers["content-type"].startswith("application/sparql-results+json")
        assert res.json()["results"]["bindings"][0]["n"]["value"] == "41"


def test_results_in_xml_and_csv_and_graphs_in_turtle(client: TestClient) -> None:
    xml = client.get(
        "/sparql", params={"query": COUNT}, headers={"Accept": "application/sparql-results+xml"}
    )
    assert xml.status_code == 200
    assert "<literal datatype=" in xml.text
    assert ">41</literal>" in xml.text
    csv = client.get("/sparql", params={"query": COUNT}, headers={"Accept": "text/csv"})
    assert csv.text.splitlines() == ["n", "41"]
    ask = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers=JSON)
    assert ask.json()["boolean"] is True
    ttl = client.get(
        "/sparql",
        params={"query": "CONSTRUCT { ?d a ?t } WHERE { ?d a ?t } LIMIT 3"},
        headers={"Accept": "text/turtle"},
    )
    assert ttl.status_code == 200
    assert ttl.headers["content-type"].startswith("text/turtle")


def test_the_row_cap_cuts_and_says_so(client: TestClient) -> None:
    res = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=JSON)
    assert len(res.json()["results"]["bindings"]) == 500
    assert res.headers["x-datalab-truncated"] == "true"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * { ?s ?p ?o filter exists "
        "{ service silent <http://169.254.169.254/> {?a ?b ?c} } }",
        "SELECT * WHERE { { SELECT ?s { OPTIONAL { SERVICE <http://10.0.0.1/> { ?s ?p ?o } } } } }",
        "SELECT * FROM <http://127.0.0.1:9/data.ttl> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <urn:datalab:meta> WHERE { GRAPH ?g { ?s ?p ?o } }",
        "LOAD <file:///etc/passwd>",
        "LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <urn:x>",
        "\\u004cOAD <file:///etc/passwd>",
        "DROP ALL",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        "DELETE WHERE { ?s ?p ?o }",
    ],
)
def test_service_load_from_and_updates_are_refused(client: TestClient, query: str) -> None:
    assert refused(client.get("/sparql", params={"query": query})) == "query_refused"
    assert refused(client.post("/sparql", data={"query": query})) == "query_refused"
    still = client.get("/sparql", params={"query": COUNT}, headers=JSON)
    assert still.json()["results"]["bindings"][0]["n"]["value"] == "41"


def test_update_requests_and_dataset_parameters_are_refused(client: TestClient) -> None:
    upd = client.post("/sparql", data={"update": "DROP ALL"})
    assert refused(upd) == "query_refused"
    raw = client.post(
        "/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-update"}
    )
    assert refused(raw) == "query_refused"
    dg = client.get("/sparql", params={"query": COUNT, "default-graph-uri": META_GRAPH})
    assert refused(dg) == "query_refused"


def test_internal_graphs_and_bookkeeping_are_out_of_reach(client: TestClient) -> None:
    graphs = client.get(
        "/sparql",
        params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers=JSON,
    ).json()["results"]["bindings"]
    names = {b["g"]["value"] for b in graphs}
    base = client.app.state.services.settings.base_iri
    assert names == {
        public_graph_iri(base, f"demo-{n}")
        for n in ("health", "language", "earth-observation", "research")
    }
    meta = client.get(
        "/sparql", params={"query": f"ASK {{ GRAPH <{META_GRAPH}> {{ ?s ?p ?o }} }}"}, headers=JSON
    )
    assert meta.json()["boolean"] is False
    bookkeeping = client.get(
        "/sparql",
        params={"query": "ASK { ?s <https://w3id.org/datalab/ns#datasetId> ?o }"},
        headers=JSON,
    )
    assert bookkeeping.json()["boolean"] is False
    # the injection of group F 54 is just an odd query over the same public graphs
    inj = client.get(
        "/sparql",
        params={
            "query": 'SELECT * WHERE { ?s ?p "x" } UNION { GRAPH <urn:datalab:meta> {?s ?p ?o} } #'
        },
        headers=JSON,
    )
    assert inj.status_code in (200, 400)
    if inj.status_code == 200:
        assert inj.json()["results"]["bindings"] == []


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l } ORDER BY ?a ?f ?l",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a (!<urn:x>|^!<urn:x>)* ?b . "
        "?b (!<urn:x>|^!<urn:x>)* ?c . ?c (!<urn:x>|^!<urn:x>)* ?d }",
        "SELECT ?x WHERE { ?a ?b ?x . ?c ?d ?y . FILTER(REGEX(CONCAT(STR(?x), STR(?y), "
        "STR(?x), STR(?y)), '^(a|aa)+(b|bb)+$')) } ORDER BY ?x",
    ],
)
def test_expensive_queries_stop_at_the_deadline(client: TestClient, query: str) -> None:
    client.get("/sparql", params={"query": COUNT})  # worker warm
    started = time.monotonic()
    res = client.get("/sparql", params={"query": query}, headers=JSON)
    elapsed = time.monotonic() - started
    # stopped by the deadline, or by the worker's memory limit before it
    assert res.status_code in (503, 504), res.text[:300]
    assert res.json()["error"]["code"] in ("query_timeout", "query_resources_exceeded")
    assert elapsed < DEADLINE + 1.5
    # and the endpoint keeps answering afterwards with a fresh worker
    again = client.get("/sparql", params={"query": COUNT}, headers=JSON)
    assert again.json()["results"]["bindings"][0]["n"]["value"] == "41"


def test_huge_and_deeply_nested_queries_are_refused(client: TestClient) -> None:
    huge = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 1_000_000
    assert refused(client.post("/sparql", data={"query": huge}), 413) == "limit_exceeded"
    deep = "SELECT * WHERE " + "{" * 10_000 + " ?s ?p ?o " + "}" * 10_000
    assert refused(client.post("/sparql", data={"query": deep}), 413) == "limit_exceeded"
    nested_filter = "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"
    res = client.post("/sparql", data={"query": nested_filter})
    assert res.status_code in (400, 413)
    assert refused(client.get("/sparql", params={"query": "SELECT nonsense"})) == "invalid_input"


def test_the_snapshot_follows_publishes(client: TestClient) -> None:
    client.get("/sparql", params={"query": COUNT})
    client.app.state.services.catalogue.load(
        b"<https://x.example/d> a <http://www.w3.org/ns/dcat#Dataset> ; "
        b'<http://purl.org/dc/terms/title> "new"@en .',
        fmt="turtle",
    )
    res = client.get("/sparql", params={"query": COUNT}, headers=JSON)
    assert res.json()["results"]["bindings"][0]["n"]["value"] == "42"
