"""Reads larger than Virtuoso's row cap come back whole (paged); a cut page is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from catalog.errors import StoreError
from catalog.store.sparql import SparqlStore
from tests.virtuoso_server import VirtuosoServer

from .conftest import clear, sparql_settings
from .store_builders import EX, quad

G = "urn:test:graph:paging"


@pytest.fixture
def virtuoso_store(virtuoso_server: VirtuosoServer, tmp_path: Path) -> Iterator[SparqlStore]:
    store = SparqlStore.from_settings(sparql_settings(virtuoso_server, tmp_path / "home"))
    clear(store)
    try:
        yield store
    finally:
        store.close()


def test_a_select_past_the_row_cap_is_read_whole(
    virtuoso_store: SparqlStore, virtuoso_server: VirtuosoServer
) -> None:
    count = virtuoso_server.row_cap * 3 + 7
    virtuoso_store.add(G, [quad(f"s{i}", "p", ox.Literal(str(i))) for i in range(count)])
    assert virtuoso_store.dialect == "virtuoso"
    assert virtuoso_store.page_rows < virtuoso_server.row_cap
    rows = virtuoso_store.select(f"SELECT ?s ?o WHERE {{ GRAPH <{G}> {{ ?s <{EX}p> ?o }} }}")
    assert len(rows) == count
    assert {r["o"].value for r in rows} == {str(i) for i in range(count)}


def test_a_page_cut_at_the_server_cap_is_refused_never_taken_short(
    virtuoso_server: VirtuosoServer, tmp_path: Path
) -> None:
    settings = sparql_settings(
        virtuoso_server, tmp_path / "home", store_sparql_page_rows=virtuoso_server.row_cap * 2
    )
    store = SparqlStore.from_settings(settings)
    try:
        clear(store)
        count = virtuoso_server.row_cap + 1
        store.add(G, [quad(f"s{i}", "p", ox.Literal(str(i))) for i in range(count)])
        with pytest.raises(StoreError, match="cut its answer"):
            store.select(f"SELECT ?s WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}")
    finally:
        store.close()
