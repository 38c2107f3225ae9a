"""The SPARQL connector against a real Oxigraph server holding DCAT-AP, GeoDCAT-AP and
HealthDCAT-AP corpus examples, and a loopback proxy in front of it that misbehaves the
way Virtuoso does (HTTP 200 with ``X-SQL-State: S1TAT``, silently capped result sets)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from catalog.errors import HarvestError
from catalog.harvest import Harvester, HarvestSources
from catalog.harvest.contract import Page
from catalog.harvest.rdf_listing import split_records
from catalog.harvest.runner import record_hash
from catalog.namespaces import DLAB
from catalog.outbound.fetcher import Fetcher
from catalog.service import Catalogue
from catalog.settings import Settings
from catalog.skolem import GENID
from connectors.sparql import SparqlConnector
from tests.connectors.dcat_server import EXAMPLES, corpus_triples
from tests.connectors.loopback import Answer, Loopback, serve
from tests.connectors.oxigraph_server import load, oxigraph_server

DCAT = "http://www.w3.org/ns/dcat#"
BEES = "dcat-ap/hvd-3.0.0/examples/example-ms_dataset_2_distributions.ttl"
BEES_GRAPH = "urn:test:hvd"


@pytest.fixture(scope="module")
def endpoint(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    location = tmp_path_factory.mktemp("oxigraph") / "store"
    load(location, [corpus / name for name in EXAMPLES])
    load(location, [corpus / BEES], graph=BEES_GRAPH)
    with oxigraph_server(location) as url:
        yield url


@pytest.fixture
def proxy() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


def _port(url: str) -> int:
    return httpx.URL(url).port  # type: ignore[return-value]


def _settings(proxy: Loopback, endpoint: str, home: Path, **extra: object) -> Settings:
    hosts = [f"127.0.0.1:{proxy.port}", f"127.0.0.1:{_port(endpoint)}"]
    return proxy.settings(home, fetch_allow_hosts=hosts, **extra)


def _pages(settings: Settings, url: str, **options: object) -> list[Page]:
    with Fetcher(settings) as fetcher:
        return list(SparqlConnector(url, settings, fetcher, dict(options)).pages())


def _expected(corpus: Path, files: tuple[str, ...]) -> dict[str, str]:
    """Each dataset's digest, as a store holds it (a store writes "10"^^xsd:decimal as 10.0)."""
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in corpus_triples(corpus, files))
    stored = [ox.Triple(q.subject, q.predicate, q.object) for q in store]
    records, _failures, _extra = split_records(stored)
    return {r.record_id: record_hash(r.triples) for r in records}


def test_paged_construct_returns_every_dataset_whole(proxy, endpoint, corpus, tmp_path) -> None:
    pages = _pages(_settings(proxy, endpoint, tmp_path), endpoint, rows=2)
    expected = _expected(corpus, EXAMPLES)
    assert len(expected) == 11
    assert len(pages) == 6  # 2 + 2 + 2 + 2 + 2 + 1
    assert [len(p.records) for p in pages] == [2, 2, 2, 2, 2, 1]
    assert pages[0].total == 11
    got = {r.record_id: record_hash(r.triples) for p in pages for r in p.records}
    # each record carries exactly what the source file says about the dataset, its blank
    # nodes and its distributions (compared without blank node labels)
    assert got == expected
    assert not any(p.failures for p in pages)


def test_named_graph_option_and_named_distributions(proxy, endpoint, corpus, tmp_path) -> None:
    settings = _settings(proxy, endpoint, tmp_path)
    pages = _pages(settings, endpoint, rows=50, graph=BEES_GRAPH)
    records = [r for p in pages for r in p.records]
    assert {r.record_id: record_hash(r.triples) for r in records} == _expected(corpus, (BEES,))
    with_dists = [
        r for r in records if any(t.predicate.value == DCAT + "distribution" for t in r.triples)
    ]
    assert with_dists, "the example links datasets to named distributions"
    for rec in with_dists:
        subjects = {t.subject for t in rec.triples}
        for t in rec.triples:
            if t.predicate.value == DCAT + "distribution":
                assert t.object in subjects, f"distribution {t.object} came without its triples"
    # the default graph does not see the named graph's datasets
    default_ids = {r.record_id for p in _pages(settings, endpoint, rows=50) for r in p.records}
    assert default_ids == set(_expected(corpus, EXAMPLES))


def test_invalid_graph_option_is_refused_before_any_query(proxy, endpoint, tmp_path) -> None:
    settings = _settings(proxy, endpoint, tmp_path)
    with pytest.raises(ValueError):
        SparqlConnector(endpoint, settings, None, {"graph": "not an iri> } DROP ALL {"})


# --- whole harvests through a misbehaving proxy --------------------------------------------


def _forward(endpoint: str, query: str) -> Answer:
    construct = "CONSTRUCT" in query
    accept = "application/n-triples" if construct else "application/sparql-results+json"
    res = httpx.get(endpoint, params={"query": query}, headers={"Accept": accept}, trust_env=False)
    return Answer(res.status_code, res.content, {"Content-Type": res.headers["content-type"]})


Fault = Callable[[int, str, Answer], Answer]


def _route(proxy: Loopback, endpoint: str, fault: list[Fault | None]) -> str:
    calls: dict[str, object] = {"pages": 0, "fault": None}

    def sparql(_path: str, query: dict[str, list[str]]) -> Answer:
        text = query["query"][0]
        answer = _forward(endpoint, text)
        if "CONSTRUCT" in text and fault[0] is not None:
            if calls["fault"] is not fault[0]:  # pages are counted from when it was set
                calls["fault"], calls["pages"] = fault[0], 0
            calls["pages"] = int(calls["pages"]) + 1  # type: ignore[call-overload]
            return fault[0](int(calls["pages"]), text, answer)  # type: ignore[call-overload]
        return answer

    proxy.routes["/sparql"] = sparql
    return f"{proxy.base}/sparql"


def _snapshot(cat: Catalogue) -> bytes:
    return b"".join(sorted(cat.export("ntriples").splitlines()))


def _datasets(cat: Catalogue) -> dict[str, str]:
    """Dataset IRI → digest of its harvested content (provenance left out)."""
    graph = cat.graphs.current("euro")
    rows = cat.store.select(f"SELECT ?d ?p ?o WHERE {{ GRAPH <{graph}> {{ ?d ?p ?o }} }}")
    out: dict[str, list[str]] = {}
    for r in rows:
        if not r["p"].value.startswith(str(DLAB)):
            obj = "[]" if r["o"].value.startswith(GENID) else str(r["o"])  # labels vary
            out.setdefault(str(r["d"]), []).append(f"{r['p']} {obj}")
    named = {d: v for d, v in out.items() if not d.startswith(("_", f"<{GENID}"))}
    return {d: "\n".join(sorted(v)) for d, v in named.items()}


@pytest.fixture
def harvested(proxy, endpoint, tmp_path) -> Iterator[tuple[Catalogue, list[Fault | None]]]:
    """A catalogue that harvested the endpoint once, through the proxy, successfully."""
    fault: list[Fault | None] = [None]
    url = _route(proxy, endpoint, fault)
    settings = _settings(proxy, endpoint, tmp_path / "home")
    HarvestSources(settings).add("euro", "sparql", url, options={"rows": 3, "result_cap": 10_000})
    with Catalogue.open(settings) as cat:
        job = Harvester(cat, validate=False).run("euro")
        assert job.status == "succeeded", job.message
        assert job.counts["new"] == 11 == cat.count("euro")
        assert job.pages == 4
        yield cat, fault


def test_second_harvest_from_oxigraph_is_unchanged(harvested) -> None:
    cat, _fault = harvested
    job = Harvester(cat, validate=False).run("euro")
    assert job.status == "succeeded"
    assert job.counts == {"new": 0, "updated": 0, "unchanged": 11, "deleted": 0, "failed": 0}


def _virtuoso_timeout(n: int, _q: str, answer: Answer) -> Answer:
    if n < 2:
        return answer
    half = b"\n".join(answer.body.splitlines()[:5]) + b"\n"
    headers = {
        **answer.headers,
        "X-SQL-State": "S1TAT",
        "X-SQL-Message": "RC...: Returning incomplete results, query interrupted by result timeout",
    }
    return Answer(200, half, headers)


def _dropped(n: int, _q: str, answer: Answer) -> Answer:
    """A page that silently leaves one dataset out (no header, no error)."""
    if n != 2:
        return answer
    triples = ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)
    kept = [q for q in triples if q.subject.value != "http://example.com/dataset/4"]
    return Answer(200, ox.serialize(kept, format=ox.RdfFormat.N_TRIPLES), answer.headers)


def _capped(n: int, _q: str, answer: Answer) -> Answer:
    """Virtuoso's ResultSetMaxRows: the answer stops after 40 triples, no header at all."""
    if n != 2:
        return answer
    return Answer(200, b"\n".join(answer.body.splitlines()[:40]) + b"\n", answer.headers)


def _html(n: int, _q: str, answer: Answer) -> Answer:
    if n < 3:
        return answer
    return Answer(200, b"<html><body>Service busy</body></html>", {"Content-Type": "text/html"})


@pytest.mark.parametrize(
    ("fault", "cap", "status", "words"),
    [
        (_virtuoso_timeout, None, "failed", "X-SQL-State S1TAT"),
        (_dropped, None, "partial", "announced 11 records but served 5"),
        (_capped, 40, "failed", "result cap (40)"),
        (_html, None, "failed", "HTML page"),
    ],
    ids=["virtuoso-S1TAT", "dataset-left-out", "row-cap", "html-200"],
)
def test_incomplete_answers_never_delete(harvested, fault, cap, status, words) -> None:
    cat, slot = harvested
    before, datasets_before = _snapshot(cat), _datasets(cat)
    if cap is not None:  # the steward tells the source its endpoint's row cap
        sources = HarvestSources(cat.settings)
        source = sources.get("euro")
        source.options["result_cap"] = cap
        sources.save(source)
    slot[0] = fault
    job = Harvester(cat, validate=False).run("euro")
    assert job.status == status, (job.message, job.counts, job.pages)
    assert words in job.message
    assert job.counts["deleted"] == 0
    assert cat.count("euro") == 11
    if status == "failed":  # nothing was published: byte for byte what was served before
        assert _snapshot(cat) == before
    else:  # the listed records are republished (fresh provenance), the others carried over
        assert _datasets(cat) == datasets_before


def test_partial_result_is_a_harvest_error_naming_the_state(proxy, endpoint, tmp_path) -> None:
    fault: list[Fault | None] = [_virtuoso_timeout]
    url = _route(proxy, endpoint, fault)
    with pytest.raises(HarvestError, match=r"partial result .*S1TAT.*incomplete results"):
        _pages(_settings(proxy, endpoint, tmp_path), url, rows=3)
