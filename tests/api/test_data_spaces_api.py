"""The data spaces over HTTP: read by anyone, extended by an administrator, linked by labs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.dataspaces import builtin_data_spaces
from catalog.labs import load_registry
from catalog.service import Catalogue
from catalog.settings import Settings

Headers = dict[str, dict[str, str]]
SECURITY = {
    "id": "security",
    "labels": {"en": "Security and law enforcement data space", "de": "Sicherheitsdatenraum"},
    "themes": ["JUST"],
}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with Catalogue.open(settings) as cat:
        load_registry(cat)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def headers(settings: Settings) -> dict[str, dict[str, str]]:
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("root", "admin")
    accounts.add_user("ana", "staff", factory="bsc")
    accounts.add_user("dev", "developer")
    return {
        name: {"Authorization": f"Bearer {accounts.issue_token(name)}"}
        for name in ("root", "ana", "dev")
    }


def _error(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code


def test_everyone_reads_the_data_spaces(client: TestClient) -> None:
    body = client.get("/data-spaces").json()
    assert body["count"] == len(body["items"]) == len(builtin_data_spaces())
    health = next(s for s in body["items"] if s["id"] == "health")
    assert health == {
        "id": "health",
        "iri": "https://w3id.org/datalab/dataspace/health",
        "labels": health["labels"],
        "themes": ["HEAL"],
        "builtin": True,
    }
    assert set(health["labels"]) == {"en", "de", "fr", "pl", "el"}


def test_only_an_administrator_adds_a_data_space(client: TestClient, headers: Headers) -> None:
    _error(client.post("/data-spaces", json=SECURITY), 401, "unauthorized")
    _error(client.post("/data-spaces", json=SECURITY, headers=headers["dev"]), 403, "forbidden")
    _error(client.post("/data-spaces", json=SECURITY, headers=headers["ana"]), 403, "forbidden")
    created = client.post("/data-spaces", json=SECURITY, headers=headers["root"])
    assert created.status_code == 201, created.text
    assert created.json() == {
        **SECURITY,
        "iri": "https://w3id.org/datalab/dataspace/security",
        "builtin": False,
    }
    again = client.post(
        "/data-spaces",
        json={**SECURITY, "labels": {"en": "Security data space"}},
        headers=headers["root"],
    )
    assert again.status_code == 200, again.text
    listed = client.get("/data-spaces").json()["items"]
    assert listed[-1]["id"] == "security"
    assert listed[-1]["labels"] == {"en": "Security data space"}


def test_bad_data_spaces_are_refused(client: TestClient, headers: Headers) -> None:
    root = headers["root"]
    bad_theme = client.post("/data-spaces", json={**SECURITY, "themes": ["WAR"]}, headers=root)
    _error(bad_theme, 400, "invalid_input")
    assert bad_theme.json()["error"]["where"] == "themes"
    _error(
        client.post("/data-spaces", json={**SECURITY, "labels": {"fr": "x"}}, headers=root),
        400,
        "invalid_input",
    )
    _error(
        client.post("/data-spaces", json={**SECURITY, "id": "Bad Id"}, headers=root),
        400,
        "invalid_input",
    )
    _error(client.post("/data-spaces", json={"id": "x-y"}, headers=root), 422, "invalid_input")
    builtin = client.post("/data-spaces", json={**SECURITY, "id": "health"}, headers=root)
    _error(builtin, 409, "conflict")
    assert len(client.get("/data-spaces").json()["items"]) == len(builtin_data_spaces())


def test_labs_link_added_spaces_and_removal_waits_for_them(
    client: TestClient, headers: Headers
) -> None:
    root, ana = headers["root"], headers["ana"]
    lab = {"id": "bsc-security", "data_spaces": ["security"], "processing_country": "ES"}
    _error(client.post("/labs", json=lab, headers=ana), 400, "invalid_input")
    assert client.post("/data-spaces", json=SECURITY, headers=root).status_code == 201
    created = client.post("/labs", json=lab, headers=ana)
    assert created.status_code == 201, created.text
    assert created.json()["data_spaces"] == ["security"]
    assert created.json()["processing_country"] == "ES"
    assert created.json()["duties"] == []

    _error(client.delete("/data-spaces/security"), 401, "unauthorized")
    _error(client.delete("/data-spaces/security", headers=ana), 403, "forbidden")
    linked = client.delete("/data-spaces/security", headers=root)
    _error(linked, 409, "conflict")
    assert "bsc-security" in linked.json()["error"]["message"]
    # the lab still edits fine while the space exists
    edited = client.patch("/labs/bsc-security", json={"data_spaces": ["research"]}, headers=ana)
    assert edited.status_code == 200, edited.text

    assert client.delete("/data-spaces/security", headers=root).status_code == 204
    _error(client.delete("/data-spaces/security", headers=root), 404, "data_space_not_found")
    _error(client.delete("/data-spaces/health", headers=root), 400, "invalid_input")
    assert "security" not in {s["id"] for s in client.get("/data-spaces").json()["items"]}
