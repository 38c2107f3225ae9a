"""Stewards' scripts write records over the API: ``POST /datasets``, ``PUT`` and ``DELETE
/datasets/{id}``, with the pages' validation and ownership rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph

from api.app import create_app
from catalog.accounts import Accounts
from catalog.db import Database
from catalog.ids import dataset_id
from catalog.service import Catalogue
from catalog.settings import Settings

IRI = "https://scripts.example.org/ds/air"
DOC = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<{iri}> a dcat:Dataset ; dct:title "{title}"@en ; dct:description "Hourly air quality."@en ;
  dct:publisher <https://scripts.example.org/org/{org}> ;
  dct:accessRights <http://publications.europa.eu/resource/authority/access-right/PUBLIC> .
<https://scripts.example.org/org/{org}> a foaf:Agent ; foaf:name "{name}" .
"""
HARVESTED = "https://harvested.example.org/ds/1"
TURTLE = {"Content-Type": "text/turtle"}


def doc(title: str = "Air 2024", iri: str = IRI, org: str = "a", name: str = "Org A") -> str:
    return DOC.format(iri=iri, title=title, org=org, name=name)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with Catalogue.open(settings) as cat:
        cat.load(doc(iri=HARVESTED, org="h", name="Harvested").encode(), fmt="turtle", source="h")
    with Database.open(settings) as database:
        accounts = Accounts(database)
        for name, role, org in (
            ("stew-a", "steward", "Org A"),
            ("stew-b", "steward", "Org B"),
            ("dev", "developer", None),
        ):
            accounts.add_user(name, role, org)
        keys = {n: accounts.issue_token(n) for n in ("stew-a", "stew-b", "dev")}
    with TestClient(create_app(settings)) as c:
        c.as_user = lambda n: {"Authorization": f"Bearer {keys[n]}"}  # type: ignore[attr-defined]
        yield c


def title_of(client: TestClient, ident: str) -> str | None:
    got = client.get(f"/datasets/{ident}", headers={"Accept": "application/json"})
    if got.status_code == 404:
        return None
    return str(got.json()["dataset"]["title"]["en"][0])


def test_a_steward_creates_replaces_and_deletes_a_record(client: TestClient) -> None:
    a = client.as_user("stew-a")  # type: ignore[attr-defined]
    made = client.post("/datasets", content=doc(), headers=a | TURTLE)
    assert made.status_code == 201, made.text
    ident = dataset_id(IRI)
    assert made.json()["saved"] == [ident]
    assert made.headers["Location"].endswith(f"/datasets/{ident}")
    assert title_of(client, ident) == "Air 2024"

    replaced = client.put(f"/datasets/{ident}", content=doc("Air 2025"), headers=a | TURTLE)
    assert replaced.status_code == 200, replaced.text
    assert title_of(client, ident) == "Air 2025"

    gone = client.delete(f"/datasets/{ident}", headers=a)
    assert gone.status_code == 204
    assert title_of(client, ident) is None


def test_json_ld_and_rdf_xml_are_read_too(client: TestClient) -> None:
    a = client.as_user("stew-a")  # type: ignore[attr-defined]
    for media, fmt, n in (("application/ld+json", "json-ld", 1), ("application/rdf+xml", "xml", 2)):
        iri = f"{IRI}-{n}"
        body = Graph().parse(data=doc(iri=iri), format="turtle").serialize(format=fmt)
        made = client.post("/datasets", content=body, headers=a | {"Content-Type": media})
        assert made.status_code == 201, made.text
        assert title_of(client, dataset_id(iri)) == "Air 2024"


def test_nothing_is_stored_from_a_record_that_breaks_the_shapes(client: TestClient) -> None:
    a = client.as_user("stew-a")  # type: ignore[attr-defined]
    broken = doc().replace('dct:title "Air 2024"@en ;', "")
    refused = client.post("/datasets", content=broken, headers=a | TURTLE)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["details"]["violations"] >= 1
    assert any(
        f["severity"] == "violation" and f["path"] == "dct:title"
        for f in error["details"]["findings"]
    )
    assert title_of(client, dataset_id(IRI)) is None


def test_ownership_roles_and_formats_are_enforced(client: TestClient) -> None:
    a, b = client.as_user("stew-a"), client.as_user("stew-b")  # type: ignore[attr-defined]
    ident = dataset_id(IRI)
    assert client.post("/datasets", content=doc(), headers=a | TURTLE).status_code == 201
    # another organisation may neither publish in A's name nor change or delete A's record
    assert client.post("/datasets", content=doc(), headers=b | TURTLE).status_code == 403
    other = doc("Taken", org="b", name="Org B")
    assert client.put(f"/datasets/{ident}", content=other, headers=b | TURTLE).status_code == 403
    assert client.delete(f"/datasets/{ident}", headers=b).status_code == 403
    assert title_of(client, ident) == "Air 2024"
    # a harvested record is not a steward's to change
    harvested = dataset_id(HARVESTED)
    assert client.delete(f"/datasets/{harvested}", headers=a).status_code == 403
    # a PUT must describe the dataset it names; nothing is stored otherwise
    elsewhere = doc(iri=f"{IRI}-other")
    wrong = client.put(f"/datasets/{ident}", content=elsewhere, headers=a | TURTLE)
    assert wrong.status_code == 400 and wrong.json()["error"]["where"] == "body"
    assert title_of(client, dataset_id(f"{IRI}-other")) is None
    # roles and formats
    dev = client.as_user("dev")  # type: ignore[attr-defined]
    assert client.post("/datasets", content=doc(), headers=dev | TURTLE).status_code == 403
    assert client.post("/datasets", content=doc(), headers=TURTLE).status_code == 401
    csv = client.post("/datasets", content="a,b", headers=a | {"Content-Type": "text/csv"})
    assert csv.status_code == 415 and csv.json()["error"]["where"] == "Content-Type"


def test_a_record_over_the_document_cap_is_refused_whole(settings: Settings) -> None:
    small = settings.model_copy(update={"max_document_bytes": 200})
    with Database.open(small) as database:
        accounts = Accounts(database)
        accounts.add_user("stew-a", "steward", "Org A")
        key = accounts.issue_token("stew-a")
    with TestClient(create_app(small)) as c:
        refused = c.post(
            "/datasets", content=doc(), headers={"Authorization": f"Bearer {key}"} | TURTLE
        )
        assert refused.status_code == 413
        assert refused.json()["error"]["where"] == "body"
        assert title_of(c, dataset_id(IRI)) is None
