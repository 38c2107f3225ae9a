"""The STAC connector (pystac-client through our fetcher) against a loopback STAC API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.errors import HarvestError
from catalog.harvest import Harvester, HarvestSources
from catalog.harvest.jobs import PARTIAL, SUCCEEDED
from catalog.harvest.paging import guarded
from catalog.outbound.fetcher import Fetcher
from catalog.service import Catalogue
from connectors.stac import StacConnector
from connectors.stac.mapping import COPERNICUS_LICENCE, bbox_wkt
from tests.connectors.dataspaces.server import Server, serve
from tests.connectors.dataspaces.stac_server import StacApi

DCAT = "http://www.w3.org/ns/dcat#"
DLAB = "https://w3id.org/datalab/ns#"


@pytest.fixture
def server() -> Iterator[Server]:
    with serve() as srv:
        yield srv


@pytest.fixture
def api(server: Server, corpus: Path) -> StacApi:
    return StacApi(server, corpus)


def _pages(server: Server, api: StacApi, tmp_path: Path, **settings: object) -> list:
    s = server.settings(tmp_path, **settings)
    with Fetcher(s) as fetcher:
        return list(guarded(StacConnector(api.url, s, fetcher).pages(), api.url, s))


def _values(record, predicate: str) -> set[str]:
    return {t.object.value for t in record.triples if t.predicate.value == predicate}


def test_collections_become_datasets_with_items_summarised(
    server: Server, api: StacApi, tmp_path: Path
) -> None:
    pages = _pages(server, api, tmp_path)
    assert len(pages) == 2  # /collections paged by next links
    records = {r.record_id: r for p in pages for r in p.records}
    assert set(records) == {c["id"] for c in api.collections}
    s1 = records[api.collections[0]["id"]]
    assert _values(s1, DLAB + "dataSpace") == {
        "https://w3id.org/datalab/dataspace/earth-observation"
    }
    assert "sentinel-1a" in _values(s1, DLAB + "platform")
    assert _values(s1, "http://purl.org/dc/terms/license") == {COPERNICUS_LICENCE}
    assert _values(s1, DCAT + "startDate") == {"2014-10-10T00:00:00Z"}
    l2a = records["sentinel2-l2a-example"]
    assert _values(l2a, DLAB + "instrument") == {"msi"}
    assert _values(l2a, DLAB + "processingLevel") == {"S2MSI2A"}
    assert _values(l2a, DLAB + "itemCount") == {"1"}
    # items are summarised, never records of their own; asset hrefs are never fetched
    assert all(r.record_id in {c["id"] for c in api.collections} for p in pages for r in p.records)
    assert not any("/tests/data-files/" in r.path or "amazonaws" in r.path for r in server.requests)
    assert not any(
        "sentinel-s1-rtc-indigo" in t.object.value for r in records.values() for t in r.triples
    )


def test_antimeridian_bbox_is_split_in_two(server: Server, api: StacApi, tmp_path: Path) -> None:
    pages = _pages(server, api, tmp_path)
    l1c = next(r for p in pages for r in p.records if r.record_id == "sentinel2-l1c-example")
    [wkt] = _values(l1c, DCAT + "bbox")
    assert wkt.startswith("MULTIPOLYGON")
    assert "179.256949 -16.351724, 180.0 -16.351724" in wkt
    assert "-180.0 -16.351724, -179.70343 -16.351724" in wkt


def test_bbox_outside_range_and_invalid_datetime_are_record_failures(
    server: Server, api: StacApi, tmp_path: Path
) -> None:
    api.collections[0]["extent"]["spatial"]["bbox"] = [[-200, -10, 10, 10]]
    api.collections[1]["extent"]["temporal"]["interval"] = [["not-a-date", None]]
    pages = _pages(server, api, tmp_path)
    failures = {f.record_id: f.message for p in pages for f in p.failures}
    assert "outside [-180, 180]" in failures[api.collections[0]["id"]]
    assert "sentinel2-l2a-example" in failures
    assert [r.record_id for p in pages for r in p.records] == ["sentinel2-l1c-example"]


def test_pre_1_0_collection_is_migrated(server: Server, api: StacApi, tmp_path: Path) -> None:
    old = api.collections[1]
    old["stac_version"] = "0.9.0"
    old.pop("type", None)
    pages = _pages(server, api, tmp_path)
    assert "sentinel2-l2a-example" in {r.record_id for p in pages for r in p.records}


@pytest.mark.parametrize(
    ("next_link", "expected"),
    [
        ("{base}/collections?page=1", "already visited"),
        ("http://127.0.0.2:9/collections?page=2", "another host"),
        ("{base}/collections?page=2&grow=" + "x" * 5000, "characters long"),
    ],
)
def test_hostile_next_links_stop_the_listing(
    server: Server, api: StacApi, tmp_path: Path, next_link: str, expected: str
) -> None:
    api.next_of[1] = next_link.format(base=server.base)
    with pytest.raises(HarvestError, match=expected):
        _pages(server, api, tmp_path)


def test_number_matched_lie_is_not_repeated_and_item_sample_is_bounded(
    server: Server, api: StacApi, tmp_path: Path
) -> None:
    cid = api.collections[0]["id"]
    api.items[cid] = api.items[cid] * 50
    api.number_matched[cid] = 1  # fewer than served
    pages = _pages(server, api, tmp_path, stac_items_sampled=5)
    rec = next(r for p in pages for r in p.records if r.record_id == cid)
    assert _values(rec, DLAB + "itemCount") == set()
    items_requests = [r for r in server.requests if r.path.endswith("/items")]
    assert all(r.query["limit"] == ["5"] for r in items_requests)


def test_harvest_publishes_and_a_broken_run_keeps_the_catalogue(
    server: Server, api: StacApi, tmp_path: Path
) -> None:
    settings = server.settings(tmp_path)
    HarvestSources(settings).add("cdse", "stac", api.url)
    with Catalogue.open(settings) as cat:
        job = Harvester(cat, validate=False).run("cdse")
        assert job.status == SUCCEEDED, job.message
        assert job.counts["new"] == 3
        api.collections[2]["extent"]["spatial"]["bbox"] = [[0, 0, 500, 10]]
        job2 = Harvester(cat, validate=False).run("cdse")
        assert job2.status == PARTIAL
        rows = cat.store.select(
            "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { GRAPH ?g { ?d "
            "<https://w3id.org/datalab/ns#dataSpace> "
            "<https://w3id.org/datalab/dataspace/earth-observation> } }"
        )
        assert int(rows[0]["n"].value) == 3


def test_bbox_wkt_rejects_latitudes_out_of_range() -> None:
    assert bbox_wkt([10, 20, 30, 40]).startswith("POLYGON((10.0 20.0")
    with pytest.raises(Exception, match="outside"):
        bbox_wkt([0, -95, 10, 10])


def test_static_landing_without_conformance_reads_child_collections(
    server: Server, corpus: Path, tmp_path: Path
) -> None:
    col = json.loads(
        (corpus / "stac" / "sentinel2" / "l2a-collection" / "collection.json").read_text()
    )
    root = {
        "type": "Catalog",
        "id": "static",
        "stac_version": "1.0.0",
        "description": "static",
        "links": [{"rel": "child", "href": "./l2a/collection.json"}],
    }
    server.static("/catalog.json", json.dumps(root).encode())
    server.static("/l2a/collection.json", json.dumps(col).encode())
    s = server.settings(tmp_path)
    with Fetcher(s) as fetcher:
        pages = list(StacConnector(f"{server.base}/catalog.json", s, fetcher).pages())
    [rec] = pages[0].records
    assert rec.record_id == "sentinel2-l2a-example"
    assert _values(rec, DLAB + "itemCount") == {"1"}  # one item link, not fetched


def test_huge_items_page_is_capped_and_collection_still_listed(
    server: Server, api: StacApi, tmp_path: Path
) -> None:
    cid = api.collections[0]["id"]
    api.items[cid] = api.items[cid] * 2000  # several MB of features
    pages = _pages(server, api, tmp_path, fetch_max_body_bytes=200_000, stac_items_sampled=5000)
    rec = next(r for p in pages for r in p.records if r.record_id == cid)
    assert _values(rec, DLAB + "itemCount") == set()  # no summary from an over-cap page
    assert _values(rec, DLAB + "dataSpace")


def test_empty_collections_page_with_next_ends_the_listing(
    server: Server, api: StacApi, tmp_path: Path
) -> None:
    api.collections = []
    api.next_of[1] = f"{server.base}/collections?page=2"
    assert _pages(server, api, tmp_path) == []
    assert [r.path for r in server.requests].count("/collections") == 1
