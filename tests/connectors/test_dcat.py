"""The DCAT-AP connector against a real loopback server serving the corpus examples."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from catalog.errors import FetchError, HarvestError
from catalog.harvest.paging import guarded
from catalog.outbound.fetcher import Fetcher
from connectors.dcat import DcatConnector
from tests.connectors.dcat_server import DcatEndpoint, corpus_triples
from tests.connectors.loopback import Answer, Loopback, serve


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


def _pages(server: Loopback, tmp_path: Path, url: str, **settings: object) -> list:
    s = server.settings(tmp_path, **settings)
    with Fetcher(s) as fetcher:
        return list(guarded(DcatConnector(url, s, fetcher).pages(), url, s))


def test_follows_hydra_next_through_every_page(
    server: Loopback, corpus: Path, tmp_path: Path
) -> None:
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=3)
    pages = _pages(server, tmp_path, endpoint.url)
    assert len(pages) == len(endpoint.pages) >= 4
    got = [r.record_id for p in pages for r in p.records]
    assert got == [r.record_id for r in endpoint.records]
    assert not any(
        t.predicate.value.startswith("http://www.w3.org/ns/hydra/")
        for p in pages
        for r in p.records
        for t in r.triples
    )


@pytest.mark.parametrize(
    ("media", "fmt"),
    [
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ],
)
def test_syntax_comes_from_content_type(
    server: Loopback, corpus: Path, tmp_path: Path, media: str, fmt: ox.RdfFormat
) -> None:
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=100)
    server.routes["/other"] = lambda _p, _q: Answer(
        200, endpoint.body(1, fmt), {"Content-Type": media}
    )
    pages = _pages(server, tmp_path, f"{server.base}/other")
    assert {r.record_id for r in pages[0].records} == {r.record_id for r in endpoint.records}


def test_geodcat_rdfxml_example_is_read(server: Loopback, corpus: Path, tmp_path: Path) -> None:
    body = (corpus / "geodcat-ap" / "examples" / "dataset.rdf").read_bytes()
    server.static("/geo", body, "application/rdf+xml")
    pages = _pages(server, tmp_path, f"{server.base}/geo")
    assert len(pages[0].records) == 1


def test_loop_is_detected(server: Loopback, corpus: Path, tmp_path: Path) -> None:
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=3)
    endpoint.next_of[3] = "/catalog?page=1"
    with pytest.raises(HarvestError, match="already visited"):
        _pages(server, tmp_path, endpoint.url)


def test_next_on_another_host_is_not_followed(
    server: Loopback, corpus: Path, tmp_path: Path
) -> None:
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=3)
    endpoint.next_of[1] = "http://203.0.113.9/catalog?page=2"
    with pytest.raises(HarvestError, match="another host"):
        _pages(server, tmp_path, endpoint.url)


def test_paging_that_never_ends_stops_at_the_cap(
    server: Loopback, corpus: Path, tmp_path: Path
) -> None:
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=1)
    with pytest.raises(HarvestError, match="did not end after 3 pages"):
        _pages(server, tmp_path, endpoint.url, harvest_max_pages=3)


def test_link_header_next_is_followed(server: Loopback, corpus: Path, tmp_path: Path) -> None:
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=100)
    body = endpoint.body(1)
    server.routes["/a"] = lambda _p, _q: Answer(
        200, body, {"Content-Type": "text/turtle", "Link": '</b>; rel="next"'}
    )
    server.static(
        "/b", b'<http://x.example/c> <http://purl.org/dc/terms/title> "c" .', "text/turtle"
    )
    pages = _pages(server, tmp_path, f"{server.base}/a")
    assert len(pages) == 2


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        (Answer(200, b"<html>login</html>", {"Content-Type": "text/html"}), HarvestError, "HTML"),
        (Answer(200, b"", {"Content-Type": "text/turtle"}), HarvestError, "empty"),
        (
            Answer(200, b"@prefix x: <http://x/> . x:a x:b ", {"Content-Type": "text/turtle"}),
            HarvestError,
            "could not be read",
        ),
        (Answer(503, b"busy", {"Content-Type": "text/plain"}), FetchError, "503"),
        (
            Answer(
                200,
                b"<http://a/> <http://b/> <http://c/> .\n" * 50,
                {"Content-Type": "text/turtle"},
                "truncate",
            ),
            FetchError,
            "127.0.0.1",
        ),
    ],
)
def test_broken_pages_raise(
    server: Loopback, tmp_path: Path, answer: Answer, error: type, words: str
) -> None:
    server.routes["/bad"] = lambda _p, _q: answer
    with pytest.raises(error, match=words):
        _pages(server, tmp_path, f"{server.base}/bad")
