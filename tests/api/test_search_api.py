"""``GET /search`` over HTTP: JSON and HTML, facets as filters, languages, errors, freshness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.labs import ensure_registry
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.engines import ENGINES, engine_settings

DATA = Path(__file__).resolve().parents[1] / "catalog" / "search" / "data" / "multilingual.ttl"


@pytest.fixture(params=ENGINES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Each test on the embedded engines, then on the shared ones (tests/engines.py)."""
    return engine_settings(request, tmp_path / "home")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with Catalogue.open(settings) as cat:
        ensure_registry(cat)
        cat.load_file(DATA, source="fixture", replace=True)
    with TestClient(create_app(settings)) as c:
        yield c


def test_json_answer_shape(client: TestClient) -> None:
    r = client.get("/search", params={"q": "Krankenhausdaten"})
    assert r.status_code == 200
    body = r.json()
    top = body["items"][0]
    assert set(top) >= {"id", "title", "snippet", "links"}
    assert top["id"].startswith("kliniken-bayern")
    assert top["links"]["self"] == f"/datasets/{top['id']}"
    assert client.get(top["links"]["self"]).status_code == 200
    for values in body["facets"].values():
        for v in values:
            assert set(v) == {"value", "label", "count"}


def test_facet_filters_combine(client: TestClient) -> None:
    r = client.get(
        "/search", params=[("data_space", "health"), ("country", "DEU"), ("country", "POL")]
    )
    body = r.json()
    assert body["total"] == 2
    assert {v["value"] for v in body["facets"]["country"]} == {"DEU", "POL"}


def test_lab_and_ai_training_facets_come_from_the_offers_engine(client: TestClient) -> None:
    body = client.get("/search").json()
    assert body["facets"]["lab"], "the registry's labs should offer some fixture datasets"
    assert {v["value"] for v in body["facets"]["ai_training"]} <= {"true", "false"}
    lab = body["facets"]["lab"][0]
    filtered = client.get("/search", params={"lab": lab["value"]}).json()
    assert filtered["total"] == lab["count"]


def test_labels_follow_accept_language(client: TestClient) -> None:
    de = client.get("/search", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}).json()
    el = client.get("/search", headers={"Accept-Language": "el"}).json()
    xx = client.get("/search", headers={"Accept-Language": "xx"}).json()
    label = {b: {v["value"]: v["label"] for v in b_["facets"]["theme"]} for b, b_ in
             (("de", de), ("el", el), ("xx", xx))}  # fmt: skip
    assert label["de"]["HEAL"] == "Gesundheit"
    assert label["el"]["HEAL"] == "Υγεία"
    assert label["xx"]["HEAL"] == "Health"  # fallback: English


def test_html_page_escapes_everything(client: TestClient) -> None:
    r = client.get(
        "/search",
        params={"q": "<script>alert(1)</script> hospital"},
        headers={"Accept": "text/html"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<script>" not in r.text
    assert "&lt;script&gt;" in r.text
    hospital = client.get("/search", params={"q": "nitrogen"}, headers={"Accept": "text/html"})
    assert "<mark>nitrogen</mark>" in hospital.text


def test_errors_use_the_one_error_body(client: TestClient) -> None:
    r = client.get("/search", params={"sort": "random"})
    assert r.status_code == 400
    assert r.json()["error"]["where"] == "sort"
    r = client.get("/search", params={"bbox": "1,2,3"})
    assert r.status_code == 400
    assert r.json()["error"]["where"] == "bbox"


def test_cursor_and_new_registration_visible(client: TestClient) -> None:
    first = client.get("/search", params={"limit": 4, "sort": "title"}).json()
    second = client.get(
        "/search", params={"limit": 4, "sort": "title", "cursor": first["next_cursor"]}
    ).json()
    assert len(first["items"]) == 4
    assert len(second["items"]) == 3
    assert not {h["id"] for h in first["items"]} & {h["id"] for h in second["items"]}
    catalogue: Catalogue = client.app.state.services.catalogue  # type: ignore[attr-defined]
    catalogue.load(
        b"<https://x.example/hive> a <http://www.w3.org/ns/dcat#Dataset> ; "
        b'<http://purl.org/dc/terms/title> "Beehive sensor readings"@en .',
        fmt="turtle",
    )
    hits = client.get("/search", params={"q": "beehive"}).json()["items"]
    assert [h["title"] for h in hits] == ["Beehive sensor readings"]
