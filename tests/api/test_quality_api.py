"""The quality JSON API: per dataset with SHACL conformance, per source; public metadata only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.demo import load_demo
from catalog.samples import SampleStore, Upload
from catalog.service import Catalogue
from catalog.settings import Settings

PREFIXES = (
    b"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
)
BARE = PREFIXES + b'<https://example.org/ds/q> a dcat:Dataset ; dct:title "Quality probe"@en .'
FIXED = PREFIXES + (
    b'<https://example.org/ds/q> a dcat:Dataset ; dct:title "Quality probe"@en ;'
    b' dct:description "Now described."@en .'
)
SECRET_CSV = b"secret_column,value\nzebra-7731,42\nzebra-7732,43\n"


@pytest.fixture
def setup(settings: Settings) -> Iterator[tuple[TestClient, str, Catalogue]]:
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        ident = cat.load(BARE, fmt="turtle").dataset_ids[0]
        app = create_app(settings, catalogue=cat)
        with TestClient(app) as client:
            yield client, ident, cat


def test_dataset_quality_reports_shacl_and_what_to_fix(setup) -> None:
    client, ident, cat = setup
    r = client.get(f"/datasets/{ident}/quality")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == ident
    assert body["validation"]["conforms"] is False
    assert any(f["path"] == "dct:description" for f in body["validation"]["findings"])
    compliance = next(c for c in body["checks"] if c["name"] == "DCAT-AP compliance")
    assert compliance["passed"] is False
    assert "Fix the violations in the validation report." in body["fixes"]
    assert set(body["dimensions"]) >= {"findability", "ai_readiness"}

    # The same record version is validated once: the cached report is reused.
    cache = client.app.state.services.conformance
    assert cache.record(ident)[1] is cache.record(ident)[1]

    # A new version of the record is validated afresh.
    cat.load(FIXED, fmt="turtle")
    fixed = client.get(f"/datasets/{ident}/quality").json()
    assert fixed["validation"]["conforms"] is True
    assert next(c for c in fixed["checks"] if c["name"] == "DCAT-AP compliance")["passed"]
    assert fixed["dimensions"]["interoperability"] > body["dimensions"]["interoperability"]


def test_sample_presence_is_shown_but_never_its_rows_or_statistics(setup) -> None:
    client, ident, cat = setup
    before = client.get(f"/datasets/{ident}/quality").json()
    assert before["sample"] == {"present": False, "schema_described": False}
    SampleStore(cat.settings).add(
        ident, Upload(data=SECRET_CSV, filename="s.csv"), uploaded_by=None
    )
    r = client.get(f"/datasets/{ident}/quality")
    assert r.json()["sample"] == {"present": True, "schema_described": True}
    assert next(c for c in r.json()["checks"] if c["name"] == "sample present")["passed"]
    for leak in ("zebra", "secret_column", "42"):
        assert leak not in r.text


def test_source_quality_means_and_items(setup) -> None:
    client, _, cat = setup
    r = client.get("/sources/demo-health/quality")
    assert r.status_code == 200
    body = r.json()
    assert body["datasets"] == cat.count("demo-health") == len(body["items"])
    assert body["validation"]["status"] == "done"
    assert 0 <= body["validation"]["conforming"] <= body["datasets"]
    assert 0 < body["percent"] <= 100
    assert all({"id", "percent", "rating", "ai_readiness"} == set(i) for i in body["items"])


def test_unknown_dataset_and_source_are_404_with_the_common_body(setup) -> None:
    client, _, _ = setup
    for url in ("/datasets/no-such-dataset/quality", "/sources/no-such-source/quality"):
        r = client.get(url)
        assert r.status_code == 404
        assert set(r.json()["error"]) == {"code", "message", "where", "details"}
