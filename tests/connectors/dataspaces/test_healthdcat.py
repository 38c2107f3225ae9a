"""The HealthDCAT-AP connector against a loopback endpoint serving the health corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.harvest import Harvester, HarvestSources
from catalog.harvest.jobs import FAILED, SUCCEEDED
from catalog.outbound.fetcher import Fetcher
from catalog.service import Catalogue
from connectors.healthdcat import HealthDcatConnector, health_fields
from tests.connectors.dataspaces.server import Server, serve

HEALTH = "https://w3id.org/datalab/dataspace/health"


@pytest.fixture
def server() -> Iterator[Server]:
    with serve() as srv:
        yield srv


@pytest.fixture
def health(corpus: Path) -> Path:
    return corpus / "healthdcat-ap"


def _pages(server: Server, tmp_path: Path, path: str, **options: object) -> list:
    s = server.settings(tmp_path)
    with Fetcher(s) as fetcher:
        return list(HealthDcatConnector(f"{server.base}{path}", s, fetcher, dict(options)).pages())


def test_health_fields_are_kept_and_tagged(server: Server, health: Path, tmp_path: Path) -> None:
    server.static(
        "/catalog", (health / "ckanext-dcat" / "dataset_health.ttl").read_bytes(), "text/turtle"
    )
    [page] = _pages(server, tmp_path, "/catalog")
    [record] = page.records
    fields = health_fields(record)
    for name in (
        "hdab",
        "legal_basis",
        "purpose",
        "personal_data",
        "population_coverage",
        "retention_period",
        "number_of_records",
        "coding_system",
        "quality_annotation",
    ):
        assert fields.get(name), f"{name} was lost"
    assert fields["number_of_records"] == ["123456789"]
    assert fields["population_coverage"] == ["This example includes a very non-descript population"]
    # the blank-node HDAB agent travels with the record
    hdab = fields["hdab"][0]
    assert any(
        t.subject.value == hdab and t.object.value == "EU Health Data Access Body"
        for t in record.triples
    )
    assert any(t.object.value == HEALTH for t in record.triples)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("dataset-nodescription.ttl", "dct:description"),
        # Health-RI v2 shapes require a licence on distributions, not datasets: this example
        # now fails for its missing mandatory access rights (and keyword, legislation)
        ("dataset-nolicense.ttl", "dct:accessRights: Less than 1 values"),
        ("dataset-nopublisher.ttl", "dct:publisher"),
    ],
)
def test_health_ri_invalid_examples_fail_with_clear_reasons(
    server: Server, health: Path, tmp_path: Path, name: str, reason: str
) -> None:
    body = (health / "health-ri" / "invalid" / name).read_bytes()
    server.static("/catalog", body, "text/turtle")
    shapes = health / "health-ri" / "HRI-Datamodel-shapes.ttl"
    [page] = _pages(server, tmp_path, "/catalog", shapes=str(shapes))
    assert page.records == []
    [failure] = page.failures
    assert "does not conform" in failure.message
    assert reason in failure.message, failure.message


def test_bad_example_fails_validation_per_record(
    server: Server, health: Path, tmp_path: Path
) -> None:
    shapes = health / "health-ri" / "HRI-Datamodel-shapes.ttl"
    bad = (health / "health-ri" / "invalid" / "example-dataset-bad.ttl").read_bytes()
    server.static("/bad", bad, "text/turtle")
    [page] = _pages(server, tmp_path, "/bad", shapes=str(shapes))
    assert page.failures
    assert not page.records
    assert all(f.message.startswith("does not conform") for f in page.failures)


def test_harvest_publishes_health_datasets_and_survives_a_broken_page(
    server: Server, health: Path, tmp_path: Path
) -> None:
    settings = server.settings(tmp_path)
    body = (health / "ckanext-dcat" / "dataset_health.ttl").read_bytes()
    server.static("/catalog", body, "text/turtle")
    HarvestSources(settings).add("ehds", "healthdcat-ap", f"{server.base}/catalog")
    with Catalogue.open(settings) as cat:
        job = Harvester(cat, validate=False).run("ehds")
        assert job.status == SUCCEEDED, job.message
        server.static("/catalog", body[: len(body) // 2], "text/turtle")
        job2 = Harvester(cat, validate=False).run("ehds")
        assert job2.status == FAILED
        rows = cat.store.select(
            "SELECT ?n WHERE { GRAPH ?g { ?d <https://w3id.org/datalab/ns#dataSpace> "
            f"<{HEALTH}> ; <http://healthdataportal.eu/ns/health#numberOfRecords> ?n }} }}"
        )
        assert [r["n"].value for r in rows] == ["123456789"]
