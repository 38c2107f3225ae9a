"""One contract, every connector: the registered ones and the example third-party plugin.

The fault contract needs no fixture of the connector's own: pointed at a loopback server
whose every path is broken (an HTML login page with 200, 503, an empty body, a reset
connection), a connector must raise a DatalabError; returning normally would mean "the
listing is complete" and let a harvest delete everything. The behavioural contract runs
each connector with a builder in ``contract_sources`` against real data from the corpus.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from catalog.errors import DatalabError
from catalog.harvest import Harvester, HarvestSources
from catalog.harvest.contract import Capability, Connector, Page, SourceRecord
from catalog.harvest.plugins import connector_names, plugins
from catalog.outbound.fetcher import Fetcher
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.connectors.contract_sources import BUILDERS, ContractSource
from tests.connectors.loopback import Answer, Loopback, serve
from tests.connectors.plugins import install_example_plugin

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DATASET_TYPES = {"http://www.w3.org/ns/dcat#Dataset", "http://www.w3.org/ns/dcat#DatasetSeries"}
EVERY = sorted(set(connector_names()) | {"example"})


class _Everywhere(dict):  # type: ignore[type-arg]
    """Routes where every path gets the same answer."""

    def __init__(self, answer: Answer) -> None:
        super().__init__()
        self.answer = answer

    def get(self, _path: str, _default: Any = None) -> Any:
        return lambda _p, _q: self.answer


@pytest.fixture
def kind(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The connector kind under test; the example plugin is made discoverable for it."""
    name = request.param
    if name == "example":
        install_example_plugin(tmp_path / "site", monkeypatch)
        plugins.reset()
    yield name
    if name == "example":
        plugins.reset()


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


def _settings(server: Loopback, home: Path, hosts: list[str] | None = None) -> Settings:
    allow = [f"127.0.0.1:{server.port}", *(hosts or [])]
    return server.settings(home, fetch_allow_hosts=allow, fetch_max_retries=0)


# --- static contract ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", EVERY, indirect=True)
def test_class_contract(kind: str) -> None:
    cls = plugins.get(kind)
    assert cls.kind == kind
    assert isinstance(cls.capabilities, Capability)
    assert cls.__doc__, "a connector says what it harvests"


# --- fault contract -----------------------------------------------------------------------

FAULTS = {
    "html-200": Answer(
        200, b"<!doctype html><h1>Please log in</h1>", {"Content-Type": "text/html"}
    ),
    "503": Answer(503, b"down for maintenance", {"Content-Type": "text/plain"}),
    "empty-200": Answer(200, b"", {"Content-Type": "application/octet-stream"}),
    "reset": Answer(fault="reset"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("kind", EVERY, indirect=True)
def test_broken_source_raises_never_ends_quietly(
    kind: str, fault: str, server: Loopback, tmp_path: Path
) -> None:
    server.routes = _Everywhere(FAULTS[fault])
    settings = _settings(server, tmp_path / "home")
    cls = plugins.get(kind)
    with Fetcher(settings) as fetcher:
        conn = cls(f"{server.base}/api", settings, fetcher, {})
        with pytest.raises(DatalabError):
            for _page in conn.pages():
                pass


# --- behavioural contract -----------------------------------------------------------------


@pytest.fixture
def source(kind: str, server: Loopback, corpus: Path, tmp_path: Path) -> Iterator[ContractSource]:
    builder = BUILDERS.get(kind)
    assert builder is not None, f"add a contract source for {kind!r} in contract_sources.py"
    with ExitStack() as stack:
        yield builder(server, corpus, stack, tmp_path)


def _listing(kind: str, source: ContractSource, settings: Settings, since: str | None = None):
    cls = plugins.get(kind)
    with Fetcher(settings) as fetcher:
        conn = cls(source.url, settings, fetcher, dict(source.options))
        assert isinstance(conn, Connector)
        return list(conn.pages(since))


@pytest.mark.parametrize("kind", sorted(BUILDERS), indirect=True)
def test_listing_is_well_formed(kind: str, source: ContractSource, server: Loopback, tmp_path):
    settings = _settings(server, tmp_path / "home", source.hosts)
    pages: list[Page] = _listing(kind, source, settings)
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    records = [r for p in pages for r in p.records]
    assert len(records) == source.datasets
    assert not [f for p in pages for f in p.failures]
    ids = [r.record_id for r in records]
    assert len(set(ids)) == len(ids), "a record is listed once"
    for rec in records:
        assert isinstance(rec, SourceRecord)
        assert rec.triples
        assert all(isinstance(t, ox.Triple) for t in rec.triples)
        types = {
            t.object.value
            for t in rec.triples
            if t.subject == rec.iri and t.predicate.value == RDF_TYPE
        }
        assert types & DATASET_TYPES, f"{rec.record_id}: the record's node is a dataset"
    cls = plugins.get(kind)
    if Capability.COUNTED in cls.capabilities:
        assert pages[0].total == source.datasets


@pytest.mark.parametrize("kind", sorted(BUILDERS), indirect=True)
def test_incremental_listing_honours_since(kind: str, source, server, tmp_path) -> None:
    cls = plugins.get(kind)
    settings = _settings(server, tmp_path / "home", source.hosts)
    pages = _listing(kind, source, settings, since="2999-01-01T00:00:00")
    listed = [r for p in pages for r in p.records]
    if Capability.INCREMENTAL in cls.capabilities:
        assert not listed
        return
    # A connector that cannot list incrementally ignores the cursor: it still lists
    # everything, and says so (a full listing), so the harvest may trust the listing.
    assert Capability.FULL_LISTING in cls.capabilities
    assert len(listed) == source.datasets


@pytest.mark.parametrize("kind", sorted(BUILDERS), indirect=True)
def test_harvest_publishes_every_dataset(kind: str, source, server, tmp_path) -> None:
    settings = _settings(server, tmp_path / "home", source.hosts)
    HarvestSources(settings).add("src", kind, source.url, options=source.options)
    with Catalogue.open(settings) as cat:
        job = Harvester(cat, validate=False).run("src")
        assert job.status == "succeeded", job.message
        assert job.counts["new"] == source.datasets == cat.count("src")
        again = Harvester(cat, validate=False).run("src")
        assert again.counts["unchanged"] == source.datasets
