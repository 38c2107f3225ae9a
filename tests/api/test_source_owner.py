"""Harvest sources belong to the organisation or factory that registered them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.harvest import HarvestSources
from catalog.settings import Settings

USERS = {
    "stew-a": ("steward", "Org A", None),
    "stew-a2": ("steward", "Org A", None),
    "stew-b": ("steward", "Org B", None),
    "staff-f": ("staff", None, "fac-1"),
    "root": ("admin", None, None),
}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    accounts = Accounts(accounts_path(settings.home))
    tokens = {}
    for name, (role, org, factory) in USERS.items():
        accounts.add_user(name, role, org, factory)
        tokens[name] = accounts.issue_token(name)
    with TestClient(create_app(settings)) as c:
        c.auth_for = lambda n: {"Authorization": f"Bearer {tokens[n]}"}  # type: ignore[attr-defined]
        yield c


def _add(client: TestClient, user: str, name: str, **extra: object):
    body = {"name": name, "type": "dcat", "url": "https://portal.example.org/catalog.ttl"}
    return client.post("/sources", json=body | extra, headers=client.auth_for(user))


def test_the_owner_comes_from_the_caller_never_from_the_body(client, settings) -> None:
    assert _add(client, "stew-a", "src-a").json()["owner"] == "organisation:Org A"
    assert _add(client, "staff-f", "src-f").json()["owner"] == "factory:fac-1"
    smuggled = _add(client, "stew-b", "src-b", owner="organisation:Org A")
    assert smuggled.status_code == 201
    assert smuggled.json()["owner"] == "organisation:Org B"
    assert HarvestSources(settings).get("src-b").owner == "organisation:Org B"
    assert [s.name for s in HarvestSources(settings).list("organisation:Org A")] == ["src-a"]


def test_only_the_owner_organisation_or_an_admin_runs_or_removes(client, settings) -> None:
    _add(client, "stew-a", "src-a")
    _add(client, "stew-a", "src-a2")
    HarvestSources(settings).add("legacy", "dcat", "https://portal.example.org/x.ttl")
    for user in ("stew-b", "staff-f"):
        for method, url in (("post", "/sources/src-a/harvest"), ("delete", "/sources/src-a")):
            r = client.request(method, url, headers=client.auth_for(user))
            assert r.status_code == 403, (user, method)
            assert r.json()["error"]["code"] == "forbidden"
    # A source without an owner (registered before owners existed) is for administrators.
    assert client.delete("/sources/legacy", headers=client.auth_for("stew-a")).status_code == 403
    assert client.delete("/sources/src-a").status_code == 401

    # Another steward of the same organisation may remove it; an admin removes any.
    assert client.delete("/sources/src-a", headers=client.auth_for("stew-a2")).status_code == 204
    assert client.delete("/sources/legacy", headers=client.auth_for("root")).status_code == 204
    assert client.get("/sources/src-a").status_code == 404
    assert [s.name for s in HarvestSources(settings).list()] == ["src-a2"]
    assert client.delete("/sources/src-a", headers=client.auth_for("root")).status_code == 404


@pytest.mark.parametrize("name", ["labs", "registry", "local", "steward-3f2a9c1b7d4e"])
def test_reserved_source_names_cannot_be_taken(client, name: str) -> None:
    r = _add(client, "stew-b", name)
    assert r.status_code == 400
    assert r.json()["error"]["where"] == "name"
    assert "reserved" in r.json()["error"]["message"]
    assert client.delete(f"/sources/{name}", headers=client.auth_for("root")).status_code == 404


def test_a_loaded_source_cannot_be_taken_over_and_deleted(client, settings) -> None:
    cat = client.app.state.services.catalogue
    cat.load(
        b"@prefix dcat: <http://www.w3.org/ns/dcat#> . <https://ex.org/d/1> a dcat:Dataset .",
        fmt="turtle",
        source="health-demo",
    )
    for user in ("stew-b", "staff-f", "root"):
        r = _add(client, user, "health-demo")
        assert r.status_code == 409, r.text
        deleted = client.delete("/sources/health-demo", headers=client.auth_for(user))
        assert deleted.status_code == 404
    assert cat.graphs.current("health-demo") is not None
    assert cat.count("health-demo") == 1
