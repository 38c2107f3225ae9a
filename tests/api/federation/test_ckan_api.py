"""The CKAN-compatible Action API, read by ckanapi and by the project's own CKAN connector."""

from __future__ import annotations

import ckanapi
import pytest
from typer.testing import CliRunner

from catalog.harvest import Harvester
from cli.app import app as cli
from tests.api.federation.conftest import free_port

DEMO_TOTAL = 41


@pytest.fixture
def live(instance_factory):
    return instance_factory("a", demo=True)


def remote(url: str) -> ckanapi.RemoteCKAN:
    return ckanapi.RemoteCKAN(url, user_agent="datalab-tests/0.1")


def test_ckanapi_lists_searches_and_shows(live) -> None:
    with remote(live.url) as api:
        status = api.action.status_show()
        assert status["site_url"] == live.settings.public_url
        names = api.action.package_list()
        assert len(names) == DEMO_TOTAL
        found = api.action.package_search(q="land cover", rows=5)
        assert found["count"] >= 1
        assert any("land" in p["title"].lower() for p in found["results"])
        pkg = api.action.package_show(id=names[0])
        assert pkg["name"] == names[0]
        assert any(e["key"] == "uri" for e in pkg["extras"])
        assert pkg["organization"]["name"] in api.action.organization_list()
        with pytest.raises(ckanapi.NotFound):
            api.action.package_show(id="no-such-dataset")


def test_package_search_pages_without_gaps_or_repeats(live) -> None:
    seen: list[str] = []
    with remote(live.url) as api:
        start = 0
        while True:
            page = api.action.package_search(
                rows=7, start=start, sort="metadata_modified asc, id asc"
            )
            assert page["count"] == DEMO_TOTAL
            if not page["results"]:
                break
            seen += [p["id"] for p in page["results"]]
            start += len(page["results"])
        # metadata_modified is when the record changed in this catalogue (the demo: now)
        since = api.action.package_search(fq="metadata_modified:[2000-01-01T00:00:00Z TO *]")
        assert since["count"] == DEMO_TOTAL
        later = api.action.package_search(fq="metadata_modified:[2999-01-01T00:00:00Z TO *]")
        assert later["count"] == 0
        with pytest.raises(ckanapi.ValidationError):
            api.action.package_search(fq="name:x OR 1=1")
    assert sorted(seen) == sorted(set(seen))
    assert len(seen) == DEMO_TOTAL


def test_packages_carry_metadata_only(live) -> None:
    allowed = {
        "id",
        "name",
        "title",
        "notes",
        "url",
        "type",
        "state",
        "private",
        "metadata_modified",
        "metadata_created",
        "license_id",
        "license_title",
        "license_url",
        "organization",
        "owner_org",
        "groups",
        "tags",
        "num_tags",
        "resources",
        "num_resources",
        "extras",
    }
    with remote(live.url) as api:
        for pkg in api.action.package_search(rows=100)["results"]:
            assert set(pkg) == allowed
            assert not {e["key"] for e in pkg["extras"]} & {"sample_rows", "statistics"}
            text = str(pkg)
            assert "w3id.org/datalab/ns#datasetId" not in text
            assert "urn:datalab:" not in text


def test_the_projects_ckan_connector_harvests_a_running_instance(instance_factory) -> None:
    pa = free_port()
    a = instance_factory("a", port=pa, demo=True)
    b = instance_factory("b", peers=(pa,))
    result = CliRunner().invoke(
        cli,
        ["source", "add", "peer-a", "--type", "ckan", "--url", a.url],
        env={"DATALAB_HOME": str(b.settings.home)},
    )
    assert result.exit_code == 0, result.output
    job = Harvester(b.catalogue, validate=False).run("peer-a")
    assert job.status == "succeeded", (job.message, job.errors[:3])
    assert job.counts["new"] == DEMO_TOTAL
    # the dataset IRIs travelled in the `uri` extra: same identity on both sides
    iris_a = {i.iri for i in a.catalogue.datasets(limit=500).items}
    iris_b = {i.iri for i in b.catalogue.datasets(limit=500).items}
    assert iris_a == iris_b
    again = Harvester(b.catalogue, validate=False).run("peer-a")
    assert again.counts["unchanged"] == DEMO_TOTAL
