"""The basket API contract, on the embedded engines and on Oxigraph server + PostgreSQL."""

from __future__ import annotations

import io
import json
from pathlib import Path

import mlcroissant as mlc
import pytest
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt
from pypdf import PdfReader

from api.app import create_app
from catalog.accounts import Accounts
from catalog.db import Database
from catalog.demo import load_demo
from catalog.labs import load_registry
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.engines import ENGINES, engine_settings

PROFILE = {"org_type": "research", "country": "DE", "purpose": "non-commercial-ai-training"}
MODEL = {"name": "Demo-LM", "version": "0.1", "modalities": ["text"], "general_purpose": True}


@pytest.fixture(params=ENGINES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return engine_settings(request, tmp_path / "home")


@pytest.fixture
def client(settings):
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        load_registry(cat)
        ids = {
            i.id.rsplit("-", 1)[0]: i.id
            for s in ("demo-health", "demo-language", "demo-research")
            for i in cat.datasets(source=s, limit=100).items
        }
    with Database.open(settings) as database:
        accounts = Accounts(database)
        accounts.add_user("dev", "developer")
        accounts.add_user("eve", "developer")
        tokens = {n: accounts.issue_token(n) for n in ("dev", "eve")}
    with TestClient(create_app(settings)) as c:
        c.auth_for = lambda n: {"Authorization": f"Bearer {tokens[n]}"}  # type: ignore[attr-defined]
        c.ids = ids  # type: ignore[attr-defined]
        yield c


def _create(c, who: str | None = "dev", **body):
    payload = {
        "name": "Speech and text",
        "datasets": [c.ids["white-stork-migration"], c.ids["synthetic-ehr-fhir"]],
        "profile": PROFILE,
        "model": MODEL,
        **body,
    }
    return c.post("/baskets", json=payload, headers=c.auth_for(who) if who else {})


def test_create_answers_201_with_its_id_and_location(client) -> None:
    r = _create(client)
    assert r.status_code == 201
    body = r.json()
    assert body["id"] and r.headers["location"] == f"/baskets/{body['id']}"
    assert r.headers["cache-control"] == "private, no-store"
    got = client.get(r.headers["location"], headers=client.auth_for("dev"))
    assert got.status_code == 200
    answer = got.json()
    assert answer["datasets"] == [
        client.ids["white-stork-migration"],
        client.ids["synthetic-ehr-fhir"],
    ]
    cover = answer["where_to_get_it"]["cover"]
    assert cover["labs"] and set(cover["assignment"]) <= set(answer["datasets"])
    owe = answer["what_you_owe"]
    assert {c["dataset"] for c in owe["credits"]} == set(answer["datasets"])
    assert "permits_and_lead_time" in owe and "conflicts" in owe


def test_unknown_basket_is_404_with_the_common_body(client) -> None:
    r = client.get("/baskets/nope", headers=client.auth_for("dev"))
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"datasets": "not-a-list"}, "body.datasets"),
        ({"model": {"modalities": ["smell"]}}, "model.modalities[0]"),
        ({"profile": {"country": "XX"}}, "profile.country"),
        ({"profile": {"purpose": "world-domination"}}, "profile.purpose"),
        ({"datasets": ["no-such-dataset"]}, "datasets[0]"),
        ({"owner": "eve"}, "body.owner"),
    ],
)
def test_bad_bodies_are_422_naming_the_field(client, body, where) -> None:
    r = client.post("/baskets", json=body, headers=client.auth_for("dev"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["where"] == where


def test_someone_elses_basket_is_403(client) -> None:
    basket = _create(client).json()["id"]
    for method, path in [
        ("get", f"/baskets/{basket}"),
        ("get", f"/baskets/{basket}/attributions"),
        ("delete", f"/baskets/{basket}"),
    ]:
        r = client.request(method, path, headers=client.auth_for("eve"))
        assert r.status_code == 403, path
        assert r.json()["error"]["code"] == "forbidden"
    anonymous = client.get(f"/baskets/{basket}")
    assert anonymous.status_code == 403


def test_an_anonymous_basket_is_reached_by_its_id(client) -> None:
    r = _create(client, who=None)
    assert r.status_code == 201
    basket = r.json()
    assert basket["owner"] is None and len(basket["id"]) >= 22  # 128 random bits
    assert client.get(f"/baskets/{basket['id']}").status_code == 200


def test_patch_adds_and_removes_put_replaces_delete_removes(client) -> None:
    basket = _create(client).json()["id"]
    auth = client.auth_for("dev")
    lexicon = client.ids["morphological-lexicon-pl"]
    r = client.patch(f"/baskets/{basket}", json={"add": [lexicon]}, headers=auth)
    assert r.status_code == 200 and lexicon in r.json()["datasets"]
    r = client.patch(
        f"/baskets/{basket}", json={"remove": [client.ids["white-stork-migration"]]}, headers=auth
    )
    assert r.json()["datasets"] == [client.ids["synthetic-ehr-fhir"], lexicon]
    r = client.put(
        f"/baskets/{basket}", json={"name": "Only one", "datasets": [lexicon]}, headers=auth
    )
    assert (
        r.status_code == 200
        and r.json()["datasets"] == [lexicon]
        and r.json()["name"] == "Only one"
    )
    assert client.delete(f"/baskets/{basket}", headers=auth).status_code == 204
    assert client.get(f"/baskets/{basket}", headers=auth).status_code == 404


def _all_fields(sections):
    for s in sections:
        yield s, s["fields"]
        yield from _all_fields(s["subsections"])


def test_ai_act_summary_in_json_markdown_and_pdf(client) -> None:
    basket = _create(client).json()["id"]
    auth = client.auth_for("dev")
    doc = client.get(f"/baskets/{basket}/ai-act-summary?format=json", headers=auth).json()
    numbers = [s["number"] for s, _ in _all_fields(doc["sections"])]
    assert numbers == [
        "1", "1.1", "1.2", "1.3", "2", "2.1", "2.2", "2.2.1", "2.2.2", "2.3", "2.4", "2.5",
        "2.6", "3", "3.1", "3.2", "3.3",
    ]  # fmt: skip
    md = client.get(f"/baskets/{basket}/ai-act-summary?format=md", headers=auth)
    assert md.headers["content-type"].startswith("text/markdown")
    tokens = MarkdownIt().parse(md.text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[1:4] == [
        "1. General information",
        "1.1. Provider identification",
        "1.2. Model identification",
    ]
    pdf = client.get(f"/baskets/{basket}/ai-act-summary?format=pdf", headers=auth)
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    for title in ("General information", "List of data sources", "Data processing aspects"):
        assert title in text
    bad = client.get(f"/baskets/{basket}/ai-act-summary?format=docx", headers=auth)
    assert bad.status_code == 422 and bad.json()["error"]["where"] == "query.format"


def test_attributions_and_croissant_list_every_dataset(client, tmp_path) -> None:
    basket = _create(client).json()["id"]
    auth = client.auth_for("dev")
    text = client.get(f"/baskets/{basket}/attributions", headers=auth).text
    assert "Open Research Repository demo (fictional)" in text and "CC0 1.0" in text
    doc = client.get(f"/baskets/{basket}/croissant", headers=auth)
    assert doc.headers["content-type"].startswith("application/ld+json")
    parts = doc.json()["isBasedOn"]
    assert len(parts) == 2 and all(p["creditText"] and p["license"] for p in parts)
    path = tmp_path / "basket.json"
    path.write_text(json.dumps(doc.json()))
    read = mlc.Dataset(jsonld=str(path))  # the MLCommons reader accepts it
    assert read.metadata.name == "Speech and text" and not read.metadata.issues.errors


def test_one_submission_files_the_requests_grouped_by_lab(client) -> None:
    basket = _create(client).json()["id"]
    auth = client.auth_for("dev")
    assert client.post(f"/baskets/{basket}/access-requests").status_code == 403  # not yours
    r = client.post(f"/baskets/{basket}/access-requests", headers=auth)
    assert r.status_code == 201, r.text
    result = r.json()
    filed = [e for lab in result["labs"] for e in lab["requests"] if e["outcome"] == "filed"]
    # the restricted synthetic EHRs need a request; the public CC0 stork tracks do not
    assert [e["dataset"] for e in filed] == [client.ids["synthetic-ehr-fhir"]]
    answer = client.get(f"/baskets/{basket}", headers=auth).json()
    assert [(x["dataset"], x["state"]) for x in answer["access_requests"]] == [
        (client.ids["synthetic-ehr-fhir"], "submitted")
    ]
    own = client.get("/access-requests", headers=auth).json()["items"]
    assert {x["id"] for x in own} == {filed[0]["request"]}
    again = client.post(f"/baskets/{basket}/access-requests", headers=auth).json()
    assert again["filed"] == 0  # asked once, not twice


def test_requesting_from_an_anonymous_basket_makes_it_the_requesters(client) -> None:
    basket = _create(client, who=None).json()["id"]
    assert client.post(f"/baskets/{basket}/access-requests").status_code == 401  # sign in
    r = client.post(f"/baskets/{basket}/access-requests", headers=client.auth_for("dev"))
    assert r.status_code == 201 and r.json()["filed"] == 1
    assert client.get(f"/baskets/{basket}").status_code == 403  # the id is no longer a key
    mine = client.get("/baskets", headers=client.auth_for("dev")).json()["items"]
    assert [b["id"] for b in mine] == [basket]
