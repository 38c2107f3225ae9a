"""The CKAN connector against a real loopback server replaying demo.ckan.org answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from catalog.errors import FetchError, HarvestError
from catalog.harvest.paging import guarded
from catalog.outbound.fetcher import Fetcher
from connectors.ckan import CkanConnector, check_cursor
from connectors.ckan.mapping import PackageMapper
from tests.connectors.ckan_server import CkanPortal, corpus_packages, envelope
from tests.connectors.loopback import Answer, Loopback, serve

DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


def _values(triples: list[ox.Triple], subject: ox.Term, prop: str) -> set[str]:
    return {t.object.value for t in triples if t.subject == subject and t.predicate.value == prop}


def _harvest(server: Loopback, tmp_path: Path, rows: int = 2) -> list:
    settings = server.settings(tmp_path)
    with Fetcher(settings) as fetcher:
        conn = CkanConnector(server.base, settings, fetcher, {"rows": rows})
        return list(guarded(conn.pages(), server.base, settings))


def test_pages_through_every_real_package(server: Loopback, corpus: Path, tmp_path: Path) -> None:
    portal = CkanPortal(server, corpus_packages(corpus))
    pages = _harvest(server, tmp_path, rows=2)
    ids = [r.record_id for p in pages for r in p.records]
    assert ids == [p["id"] for p in portal.packages]
    assert len(pages) == 3
    assert [q["start"] for q in portal.requests] == [["0"], ["2"], ["4"]]
    assert all(q["rows"] == ["2"] for q in portal.requests)


def test_maps_a_demo_package_to_dcat_ap(corpus: Path) -> None:
    raw = corpus / "ckan" / "demo-ckan-org" / "17be64bb-da74-4195-9bb8-565c39846af2.json"
    pkg = json.loads(raw.read_text())["result"]
    iri, triples = PackageMapper("https://demo.ckan.org").map(pkg)
    assert iri.value == "https://demo.ckan.org/dataset/17be64bb-da74-4195-9bb8-565c39846af2"
    assert _values(triples, iri, DCT + "title") == {pkg["title"]}
    assert _values(triples, iri, DCAT + "keyword") == {t["name"] for t in pkg["tags"]}
    assert _values(triples, iri, DCT + "modified") == {pkg["metadata_modified"]}
    dists = _values(triples, iri, DCAT + "distribution")
    assert len(dists) == len(pkg["resources"])
    dist = ox.NamedNode(sorted(dists)[0])
    assert _values(triples, dist, DCAT + "accessURL") == {pkg["resources"][0]["url"]}
    assert _values(triples, dist, DCT + "license") == {pkg["license_url"]}
    publishers = _values(triples, iri, DCT + "publisher")
    assert publishers == {f"https://demo.ckan.org/organization/{pkg['organization']['name']}"}


def test_maps_extras_groups_and_contacts(corpus: Path) -> None:
    pkg = json.loads(
        (corpus / "ckan" / "ckanext-dcat" / "full_ckan_dataset_legacy.json").read_text()
    )
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    iri, triples = PackageMapper("https://ckan.example.org").map(pkg)
    if "uri" in extras:
        assert iri.value == extras["uri"]
    themes = _values(triples, iri, DCAT + "theme")
    for group in pkg["groups"]:
        assert f"https://ckan.example.org/group/{group['name']}" in themes
    contacts = [t.object for t in triples if t.predicate.value == DCAT + "contactPoint"]
    assert contacts, "maintainer or contact extras give a contact point"
    if "frequency" in extras:
        assert _values(triples, iri, DCT + "accrualPeriodicity") == {extras["frequency"]}


def test_hostile_resource_urls_are_not_stored_as_links() -> None:
    pkg = {
        "id": "p1",
        "title": "<script>alert(1)</script>",
        "resources": [
            {"id": "r1", "url": "file:///etc/passwd"},
            {"id": "r2", "url": "gopher://x/"},
            {"id": "r3", "url": "http://exa mple.org/a>b"},
        ],
    }
    iri, triples = PackageMapper("https://p.example").map(pkg)
    assert not [t for t in triples if t.predicate.value == DCAT + "accessURL"]
    assert _values(triples, iri, DCT + "title") == {"<script>alert(1)</script>"}


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (
            Answer(200, b"<html><body>Please log in</body></html>", {"Content-Type": "text/html"}),
            "HTML",
        ),
        (Answer(200, json.dumps({"success": True}).encode()), "without a result"),
        (Answer(200, envelope(["not", "a", "dict"])), "not {count, results}"),
        (
            Answer(200, json.dumps({"success": False, "error": {"message": "boom"}}).encode()),
            "failed",
        ),
    ],
)
def test_malformed_answers_are_harvest_errors(
    server: Loopback, tmp_path: Path, answer: Answer, words: str
) -> None:
    portal = CkanPortal(server, [])
    portal.fault = lambda _n, _q: answer
    with pytest.raises(HarvestError, match=words):
        _harvest(server, tmp_path)


def test_same_page_forever_is_detected(server: Loopback, corpus: Path, tmp_path: Path) -> None:
    packages = corpus_packages(corpus)
    portal = CkanPortal(server, packages)
    portal.fault = lambda _n, _q: Answer(200, envelope({"count": 1000, "results": packages[:2]}))
    with pytest.raises(HarvestError, match="repeats records"):
        _harvest(server, tmp_path)
    assert len(portal.requests) == 2


def test_reset_mid_page_is_a_fetch_error(server: Loopback, corpus: Path, tmp_path: Path) -> None:
    portal = CkanPortal(server, corpus_packages(corpus))
    portal.fault = lambda n, _q: Answer(fault="reset") if n >= 2 else None
    with pytest.raises(FetchError):
        _harvest(server, tmp_path)


def test_incremental_query_uses_metadata_modified(
    server: Loopback, corpus: Path, tmp_path: Path
) -> None:
    portal = CkanPortal(server, corpus_packages(corpus))
    settings = server.settings(tmp_path)
    with Fetcher(settings) as fetcher:
        conn = CkanConnector(server.base, settings, fetcher, {"rows": 10})
        pages = list(conn.pages(since="2017-08-01T00:00:00"))
    assert portal.requests[0]["fq"] == ["metadata_modified:[2017-08-01T00:00:00Z TO *]"]
    ids = {r.record_id for p in pages for r in p.records}
    assert "62513382-3b26-4bc8-9096-40b6ce8383c0" in ids  # modified 2017-08-05
    assert "17be64bb-da74-4195-9bb8-565c39846af2" not in ids  # modified 2017-07-05


def test_poisoned_cursor_is_refused() -> None:
    with pytest.raises(HarvestError, match="not an ISO"):
        check_cursor("x] OR *:*")
