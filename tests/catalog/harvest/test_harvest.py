"""Harvest runs end to end: real loopback CKAN/DCAT servers, a real embedded store."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from catalog.errors import Conflict
from catalog.harvest import Harvester, HarvestSources
from catalog.harvest import overrides as steward
from catalog.harvest.files import SourceLock
from catalog.harvest.jobs import JobStore
from catalog.namespaces import DLAB
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.connectors.ckan_server import CkanPortal, corpus_packages
from tests.connectors.dcat_server import DcatEndpoint, corpus_triples
from tests.connectors.loopback import Answer, Loopback, serve

DCT_TITLE = "http://purl.org/dc/terms/title"


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


@pytest.fixture
def hsettings(server: Loopback, tmp_path: Path) -> Settings:
    return server.settings(tmp_path / "home")


@pytest.fixture
def cat(hsettings: Settings) -> Iterator[Catalogue]:
    with Catalogue.open(hsettings) as c:
        yield c


@pytest.fixture
def portal(server: Loopback, corpus: Path) -> CkanPortal:
    return CkanPortal(server, corpus_packages(corpus))


def _run(cat: Catalogue, name: str = "demo", **kw: object):
    return Harvester(cat, validate=False).run(name, **kw)


def _add_ckan(settings: Settings, portal: CkanPortal, **kw: object) -> None:
    HarvestSources(settings).add("demo", "ckan", portal.url, options={"rows": 2}, **kw)


def test_first_run_publishes_every_dataset_with_provenance(cat, hsettings, portal) -> None:
    _add_ckan(hsettings, portal)
    job = _run(cat)
    assert job.status == "succeeded", job.message
    assert job.counts == {"new": 5, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 0}
    assert job.pages == 3
    assert cat.count("demo") == 5
    rows = cat.store.select(
        f"SELECT ?rid ?page ?at WHERE {{ GRAPH ?g {{ ?d <{DLAB.sourceRecordId}> ?rid ; "
        f"<{DLAB.harvestPage}> ?page ; <{DLAB.harvestedAt}> ?at ; "
        f'<{DLAB.harvestSource}> "demo" }} }}'
    )
    assert {r["rid"].value for r in rows} == {p["id"] for p in portal.packages}
    assert all("package_search?start=" in r["page"].value for r in rows)
    assert JobStore(hsettings).get("demo", job.id).status == "succeeded"


def test_second_run_counts_unchanged_updated_deleted(cat, hsettings, portal) -> None:
    _add_ckan(hsettings, portal)
    _run(cat)
    assert _run(cat).counts["unchanged"] == 5
    portal.packages[0] = {**portal.packages[0], "title": "A new title"}
    removed = portal.packages.pop()
    job = _run(cat)
    assert job.status == "succeeded"
    assert job.counts == {"new": 0, "updated": 1, "unchanged": 3, "deleted": 1, "failed": 0}
    assert cat.count("demo") == 4
    assert removed["id"] not in {s.iri.rsplit("/", 1)[-1] for s in cat.datasets(limit=50).items}


def _snapshot(cat: Catalogue) -> bytes:
    return b"".join(sorted(cat.export("ntriples").splitlines()))


@pytest.mark.parametrize(
    "fault",
    [
        lambda n, _q: Answer(fault="reset") if n >= 2 else None,
        lambda n, _q: Answer(503, b"down") if n >= 2 else None,
        lambda n, _q: (
            Answer(200, b"<html>login</html>", {"Content-Type": "text/html"}) if n >= 2 else None
        ),
        lambda n, _q: Answer(200, b'{"success": true}') if n == 2 else None,
        lambda n, _q: Answer(fault="hang") if n >= 2 else None,
    ],
    ids=["reset-mid-page", "5xx", "html-200", "success-without-result", "hang"],
)
def test_broken_listing_fails_and_changes_nothing(cat, hsettings, portal, fault) -> None:
    _add_ckan(hsettings, portal)
    _run(cat)
    before = _snapshot(cat)
    portal.packages.pop(0)
    portal.packages[0] = {**portal.packages[0], "title": "changed"}
    portal.requests.clear()
    portal.fault = fault
    job = _run(cat)
    assert job.status == "failed"
    assert "nothing was published" in job.message
    assert _snapshot(cat) == before
    assert cat.count("demo") == 5


def test_count_larger_than_served_is_partial_and_deletes_nothing(cat, hsettings, portal) -> None:
    _add_ckan(hsettings, portal)
    _run(cat)
    portal.packages.pop()
    real = portal.search

    def lying(path: str, query: dict) -> Answer:
        answer = real(path, query)
        body = answer.body.replace(b'"count": 4', b'"count": 9')
        return Answer(answer.status, body)

    portal.server.routes["/api/action/package_search"] = lying
    job = _run(cat)
    assert job.status == "partial"
    assert "announced 9" in job.message
    assert job.counts["deleted"] == 0
    assert cat.count("demo") == 5


def test_deletion_while_paging_is_not_a_false_delete(cat, hsettings, portal) -> None:
    _add_ckan(hsettings, portal)
    _run(cat)

    def delete_after_first_page(n: int, _q: dict) -> None:
        if n == 2 and len(portal.packages) == 5:
            portal.packages.pop(0)  # shifts every later record one place left

    portal.requests.clear()
    portal.fault = delete_after_first_page
    job = _run(cat)
    assert job.status == "partial"
    assert job.counts["deleted"] == 0
    assert cat.count("demo") == 5


def test_record_that_fails_to_map_keeps_its_previous_version(cat, hsettings, portal) -> None:
    _add_ckan(hsettings, portal)
    _run(cat)
    broken = copy.deepcopy(portal.packages[1])
    broken["tags"] = 42
    portal.packages[1] = broken
    portal.packages.append({"title": "no id at all"})
    job = _run(cat)
    assert job.status == "partial"
    assert job.counts["failed"] == 2
    messages = " / ".join(e["message"] for e in job.errors)
    assert "could not be mapped" in messages
    assert "no id" in messages
    assert cat.count("demo") == 5
    assert job.counts["deleted"] == 0
    kept = cat.store.select(
        f"SELECT ?rid WHERE {{ GRAPH <{cat.graphs.current('demo')}> "
        f"{{ ?d <{DLAB.sourceRecordId}> ?rid }} }}"
    )
    assert broken["id"] in {r["rid"].value for r in kept}


def test_two_runs_of_one_source_never_overlap(cat, hsettings, portal) -> None:
    _add_ckan(hsettings, portal)
    with SourceLock(JobStore(hsettings).locks, "demo"), pytest.raises(Conflict, match="already"):
        _run(cat)


def test_interrupted_job_is_reported_failed(hsettings) -> None:
    jobs = JobStore(hsettings)
    job = jobs.new("demo")
    assert job.status == "running"
    assert jobs.get("demo", job.id).status == "failed"
    assert "interrupted" in jobs.get("demo", job.id).message


def test_steward_edit_survives_the_next_harvest(cat, hsettings, portal) -> None:
    _add_ckan(hsettings, portal)
    _run(cat)
    iri = f"{portal.url}/dataset/{portal.packages[0]['id']}"
    steward.set_field(cat, "demo", iri, DCT_TITLE, [ox.Literal("Steward's title", language="en")])
    portal.packages[0] = {**portal.packages[0], "title": "Portal's new title"}
    job = _run(cat)
    assert job.status == "succeeded"
    titles = cat.store.select(
        f"SELECT ?t WHERE {{ GRAPH <{cat.graphs.current('demo')}> {{ <{iri}> <{DCT_TITLE}> ?t }} }}"
    )
    assert [r["t"].value for r in titles] == ["Steward's title"]


def test_dataset_claiming_another_sources_iri_is_refused(cat, hsettings, portal, server) -> None:
    _add_ckan(hsettings, portal)
    _run(cat)
    iri = f"{portal.url}/dataset/{portal.packages[0]['id']}"
    hijack = f'<{iri}> a <http://www.w3.org/ns/dcat#Dataset> ; <{DCT_TITLE}> "pwned" .'
    server.static("/evil", hijack.encode(), "text/turtle")
    HarvestSources(hsettings).add("evil", "dcat", f"{server.base}/evil")
    job = _run(cat, "evil")
    assert job.status == "partial"
    assert "belongs to source 'demo'" in job.errors[0]["message"]
    titles = cat.store.select(f"SELECT ?t WHERE {{ GRAPH ?g {{ <{iri}> <{DCT_TITLE}> ?t }} }}")
    assert "pwned" not in {r["t"].value for r in titles if "evil" not in r}


def test_incremental_run_fetches_only_changed_and_deletes_nothing(cat, hsettings, portal) -> None:
    _add_ckan(hsettings, portal, incremental=True)
    first = _run(cat)
    assert first.status == "succeeded"
    assert not first.incremental
    cursor = HarvestSources(hsettings).get("demo").cursor
    assert cursor == max(p.get("metadata_modified", "") for p in portal.packages)[:26]
    portal.packages.pop(0)
    job = _run(cat)
    assert job.incremental
    assert "fq" in portal.requests[-1]
    assert job.counts["deleted"] == 0
    assert cat.count("demo") == 5


def test_dcat_source_harvest_and_empty_listing_protection(cat, hsettings, server, corpus) -> None:
    endpoint = DcatEndpoint(server, corpus_triples(corpus), per_page=3)
    HarvestSources(hsettings).add("dcat", "dcat", endpoint.url)
    job = _run(cat, "dcat")
    assert job.status == "succeeded", job.message
    assert job.counts["new"] == len(endpoint.records) == cat.count("dcat")
    endpoint.pages = [[]]
    endpoint.next_of = {}
    job = _run(cat, "dcat")
    assert job.status == "partial"
    assert cat.count("dcat") == len(endpoint.records)


def test_background_validation_reports_waiting_then_done(cat, hsettings, portal) -> None:
    _add_ckan(hsettings, portal)
    harvester = Harvester(cat, validate=True)
    job = harvester.run("demo")
    assert job.status == "succeeded"
    for thread in harvester.validators:
        thread.join(120)
    saved = JobStore(hsettings).get("demo", job.id)
    assert saved.validation["waiting"] == 0
    assert saved.validation["done"] == 5 or "error" in saved.validation
