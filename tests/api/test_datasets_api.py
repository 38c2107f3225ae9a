"""The read API: health, datasets with cursor paging, one dataset by content negotiation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS

from api.app import create_app
from catalog.ids import dataset_id
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.conftest import CORPUS

HVD = CORPUS / "dcat-ap" / "hvd-3.0.0" / "examples"
GEO = CORPUS / "geodcat-ap" / "examples"
GEO_DATASET = (
    "https://some.catalogue/resource/eea_r_3035_10_m_noise-contours-end2017_i_2016_v01_r00"
)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with Catalogue.open(settings) as cat:
        cat.load_file(HVD / "example-ms_catalogue.ttl", source="hvd", replace=True)
        cat.load_file(GEO / "dataset.ttl", source="geo", replace=True)
        cat.load_file(HVD / "example-ms_dataset_2_distributions.ttl", source="two", replace=True)
    with TestClient(create_app(settings)) as c:
        yield c


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["store"] == "oxigraph" and body["datasets"] >= 2


def test_health_reports_the_search_index_feed_lag(client: TestClient) -> None:
    """Before the first search the index is not opened for it; then it is at the head; a
    feed row no publish of this process applied (another replica's) shows as lag."""
    before = client.get("/health").json()["search"]
    assert before["position"] is None and before["lag"] is None and before["head"] >= 1
    assert before["origin"] is None and before["snapshot_position"] is None  # not open yet
    assert client.get("/search").status_code == 200
    caught_up = client.get("/health").json()["search"]
    assert caught_up == {**before, "position": before["head"], "lag": 0, "origin": "build"}
    services = client.app.state.services  # type: ignore[attr-defined]
    services.catalogue.changes.append("elsewhere", None, upserts=["ds-from-b"])
    behind = client.get("/health").json()["search"]
    assert behind["lag"] == 1 and behind["head"] == before["head"] + 1
    assert 0 <= behind["oldest_unapplied_s"] < 60


def test_list_and_follow_next_links(client: TestClient) -> None:
    first = client.get("/datasets", params={"limit": 1}).json()
    assert first["count"] == len(first["items"]) + (first["count"] - 1)
    ids = [first["items"][0]["id"]]
    url = first["next"]
    while url:
        page = client.get(url).json()
        ids += [item["id"] for item in page["items"]]
        url = page["next"]
    assert len(ids) == first["count"] == len(set(ids))
    item = first["items"][0]
    assert item["links"]["self"].endswith(f"/datasets/{item['id']}")


def test_filter_by_source(client: TestClient) -> None:
    body = client.get("/datasets", params={"source": "geo"}).json()
    assert [i["iri"] for i in body["items"]] == [GEO_DATASET]
    assert body["items"][0]["title"].startswith("Noise contours")


def test_get_dataset_as_json_for_people_and_programs(client: TestClient) -> None:
    ident = dataset_id(GEO_DATASET)
    body = client.get(f"/datasets/{ident}").json()
    assert body["id"] == ident and body["iri"] == GEO_DATASET and body["source"] == "geo"
    assert "Noise contours" in str(body["dataset"])


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-triples", "nt"),
    ],
)
def test_get_dataset_in_rdf_syntaxes(client: TestClient, accept: str, fmt: str) -> None:
    response = client.get(f"/datasets/{dataset_id(GEO_DATASET)}", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(accept)
    graph = Graph().parse(data=response.content, format=fmt)
    titles = list(graph.objects(URIRef(GEO_DATASET), DCTERMS.title))
    assert titles and str(titles[0]).startswith("Noise contours")


def test_format_parameter_and_q_values(client: TestClient) -> None:
    url = f"/datasets/{dataset_id(GEO_DATASET)}"
    assert (
        client.get(url, params={"format": "ttl"}).headers["content-type"].startswith("text/turtle")
    )
    pref = client.get(url, headers={"Accept": "text/turtle;q=0.5, application/rdf+xml"})
    assert pref.headers["content-type"].startswith("application/rdf+xml")


def assert_error(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "where", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def test_unknown_dataset_is_404_with_the_error_body(client: TestClient) -> None:
    assert_error(client.get("/datasets/nothing-here-aaaaaaaa"), 404, "dataset_not_found")
    assert_error(client.get("/datasets/%3Cscript%3E"), 404, "dataset_not_found")


def test_unacceptable_type_is_406(client: TestClient) -> None:
    url = f"/datasets/{dataset_id(GEO_DATASET)}"
    assert_error(client.get(url, headers={"Accept": "image/png"}), 406, "not_acceptable")
    assert_error(client.get(url, params={"format": "pdf"}), 406, "not_acceptable")


def test_bad_paging_parameters_are_clear(client: TestClient) -> None:
    err = assert_error(client.get("/datasets", params={"limit": 0}), 422, "invalid_input")
    assert "limit" in err["where"]
    assert_error(client.get("/datasets", params={"cursor": "'; DROP"}), 400, "invalid_input")
    assert_error(client.get("/no/such/path"), 404, "not_found")


def test_openapi_has_stable_operation_ids(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ops = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"health", "list_datasets", "get_dataset"} <= ops
