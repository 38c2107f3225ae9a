"""The remote SPARQL store: configuration, bounds and failures, against real HTTP servers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from catalog.errors import (
    ConfigurationError,
    InvalidInput,
    ParseError,
    QueryTimeout,
    StoreError,
)
from catalog.settings import get_settings
from catalog.store import open_store
from catalog.store.sparql import SparqlStore

from .conftest import OxigraphServer, free_port, sparql_settings
from .store_builders import EX, iri, many_quads, quad
from .tiny_http import ScriptedHandler, scripted_server

JSON_RESULTS = {"Content-Type": "application/sparql-results+json"}
SOME_ROWS = json.dumps(
    {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": EX}}]}}
).encode()
G = "urn:test:graph:remote"


@pytest.fixture
def remote(oxigraph_server: OxigraphServer) -> Iterator[SparqlStore]:
    store = SparqlStore(
        oxigraph_server.query_url, oxigraph_server.update_url, oxigraph_server.gsp_url
    )
    store.update("DROP ALL")
    try:
        yield store
    finally:
        store.close()


def test_open_store_builds_the_remote_store(oxigraph_server: OxigraphServer, tmp_path: Path):
    settings = sparql_settings(oxigraph_server, tmp_path, sparql_timeout_s=7.5)
    store = open_store(settings)
    try:
        assert isinstance(store, SparqlStore)
        assert store.timeout_s == 7.5
        assert store.snapshot_reads is True
        assert store.ask("ASK {}") is True
    finally:
        store.close()


def test_from_settings_needs_a_query_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SPARQL_QUERY_URL"):
        SparqlStore.from_settings(get_settings(home=tmp_path))


def test_without_graph_store_endpoint_add_uses_updates(oxigraph_server: OxigraphServer) -> None:
    store = SparqlStore(oxigraph_server.query_url, oxigraph_server.update_url, batch_triples=7)
    try:
        store.update("DROP ALL")
        assert store.add(G, many_quads(50, literal_bytes=5)) == 50
        rows = store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}")
        assert int(rows[0]["n"].value) == 50
    finally:
        store.close()


def test_syntax_errors_carry_the_servers_message(remote: SparqlStore) -> None:
    with pytest.raises(InvalidInput, match=r"rejected the query: .*1:"):
        remote.select("SELECT ?s WHERE { ?s ?p }")


def test_a_response_over_the_cap_is_refused(oxigraph_server: OxigraphServer) -> None:
    store = SparqlStore(
        oxigraph_server.query_url,
        oxigraph_server.update_url,
        oxigraph_server.gsp_url,
        max_response_bytes=10_000,
    )
    try:
        store.update("DROP ALL")
        store.add(G, many_quads(500))
        assert len(store.select(f"SELECT ?s WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }} LIMIT 5")) == 5
        with pytest.raises(StoreError, match="exceeds 10000 bytes"):
            store.select(f"SELECT * WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}")
    finally:
        store.close()


def test_a_failing_source_stops_the_add_and_the_store_still_works(remote: SparqlStore) -> None:
    def broken() -> Iterator[ox.Quad]:
        yield from many_quads(30_000, literal_bytes=10)
        raise ParseError("broken document", where="line 30001")

    with pytest.raises(ParseError, match="broken document"):
        remote.add(G, broken())
    remote.add("urn:test:graph:after", [quad("s", "p", ox.Literal("still works"))])
    assert remote.ask(f'ASK {{ GRAPH <urn:test:graph:after> {{ <{EX}s> ?p "still works" }} }}')


def test_server_down_is_a_store_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/query"
    store = SparqlStore(url, timeout_s=5)
    try:
        with pytest.raises(StoreError, match="cannot reach the SPARQL store") as caught:
            store.select("SELECT * WHERE { ?s ?p ?o }")
        assert url in str(caught.value)
        with pytest.raises(StoreError, match="cannot reach"):
            store.add(G, [quad("s", "p", iri("o"))])
    finally:
        store.close()


@pytest.mark.parametrize("status", [200, 206])
def test_a_virtuoso_partial_answer_is_refused(status: int) -> None:
    def partial(handler: ScriptedHandler) -> None:
        headers = {
            **JSON_RESULTS,
            "X-SQL-State": "S1TAT",
            "X-SQL-Message": "RC...: Returning incomplete results, query interrupted by "
            "result timeout.  Activity: 1R rnd",
        }
        handler.answer(status, SOME_ROWS, headers)

    with scripted_server(partial) as server:
        store = SparqlStore(f"{server.url}/sparql", timeout_s=5)
        try:
            with pytest.raises(StoreError, match=r"incomplete answer.*S1TAT") as caught:
                store.select("SELECT ?s WHERE { ?s ?p ?o }")
            assert "Returning incomplete results" in str(caught.value)
            with pytest.raises(StoreError, match="incomplete"):
                store.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
        finally:
            store.close()


def test_http_206_alone_is_refused() -> None:
    with scripted_server(lambda h: h.answer(206, SOME_ROWS, JSON_RESULTS)) as server:
        store = SparqlStore(f"{server.url}/sparql", timeout_s=5)
        try:
            with pytest.raises(StoreError, match="incomplete"):
                store.select("SELECT ?s WHERE { ?s ?p ?o }")
        finally:
            store.close()


def test_a_complete_answer_from_another_server_is_parsed() -> None:
    with scripted_server(lambda h: h.answer(200, SOME_ROWS, JSON_RESULTS)) as server:
        store = SparqlStore(f"{server.url}/sparql", timeout_s=5)
        try:
            assert store.select("SELECT ?s WHERE { ?s ?p ?o }") == [{"s": ox.NamedNode(EX)}]
        finally:
            store.close()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (500, b"Virtuoso 42000 Error: out of memory", r"HTTP 500.*out of memory"),
        (503, b"", r"HTTP 503.*Service Unavailable"),
        (404, b"no such endpoint", r"HTTP 404.*check the endpoint URL"),
        (401, b"", r"HTTP 401.*credentials"),
    ],
)
def test_server_failures_are_store_errors(status: int, body: bytes, expected: str) -> None:
    with scripted_server(lambda h: h.answer(status, body, {"Content-Type": "text/plain"})) as srv:
        store = SparqlStore(f"{srv.url}/sparql", timeout_s=5)
        try:
            with pytest.raises(StoreError, match=expected):
                store.ask("ASK {}")
            with pytest.raises(StoreError, match=expected):
                store.update("CLEAR ALL")
        finally:
            store.close()


def test_malformed_results_are_a_store_error() -> None:
    with scripted_server(lambda h: h.answer(200, b'{"head": {', JSON_RESULTS)) as server:
        store = SparqlStore(f"{server.url}/sparql", timeout_s=5)
        try:
            with pytest.raises(StoreError, match="malformed results"):
                store.select("SELECT ?s WHERE { ?s ?p ?o }")
        finally:
            store.close()


def test_redirects_are_not_followed() -> None:
    with scripted_server(lambda h: h.answer(200, SOME_ROWS, JSON_RESULTS)) as target:

        def redirect(handler: ScriptedHandler) -> None:
            handler.answer(307, b"", {"Location": f"{target.url}/sparql"})

        with scripted_server(redirect) as server:
            store = SparqlStore(f"{server.url}/sparql", timeout_s=5)
            try:
                with pytest.raises(StoreError, match=r"HTTP 307 redirecting to .*not followed"):
                    store.select("SELECT ?s WHERE { ?s ?p ?o }")
            finally:
                store.close()
        assert target.hits == 0


def test_a_hanging_server_times_out_within_the_deadline() -> None:
    with scripted_server(lambda h: h.server.release.wait(60)) as server:
        store = SparqlStore(f"{server.url}/sparql", timeout_s=1.0)
        try:
            start = time.monotonic()
            with pytest.raises(QueryTimeout, match="within 1 s"):
                store.select("SELECT ?s WHERE { ?s ?p ?o }")
            assert time.monotonic() - start < 2.5
        finally:
            store.close()


def test_a_trickling_server_times_out_within_the_deadline() -> None:
    def trickle(handler: ScriptedHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/sparql-results+json")
        handler.end_headers()
        for _ in range(100):
            if handler.server.release.wait(0.2):
                return
            handler.wfile.write(b" ")
            handler.wfile.flush()

    with scripted_server(trickle) as server:
        store = SparqlStore(f"{server.url}/sparql", timeout_s=1.0)
        try:
            start = time.monotonic()
            with pytest.raises(QueryTimeout):
                store.select("SELECT ?s WHERE { ?s ?p ?o }")
            assert time.monotonic() - start < 2.5
        finally:
            store.close()


def test_graph_names_cannot_smuggle_sparql(remote: SparqlStore) -> None:
    remote.add(G, [quad("s", "p", ox.Literal("kept"))])
    with pytest.raises(InvalidInput, match="not a valid graph IRI"):
        remote.drop(f"{G}> . DROP ALL ; DROP SILENT GRAPH <urn:x")
    with pytest.raises(InvalidInput, match="not a valid graph IRI"):
        remote.add("urn:x> } } DROP ALL #", [quad("s", "p", ox.Literal("x"))])
    assert remote.named_graphs() == [G]


def test_results_broken_after_the_first_row_are_a_store_error() -> None:
    broken = SOME_ROWS[: SOME_ROWS.index(b"]}}")] + b',{"s": {"type": "uri", "value": '
    with scripted_server(lambda h: h.answer(200, broken, JSON_RESULTS)) as server:
        store = SparqlStore(f"{server.url}/sparql", timeout_s=5)
        try:
            with pytest.raises(StoreError, match="malformed results"):
                store.select("SELECT ?s WHERE { ?s ?p ?o }")
        finally:
            store.close()
