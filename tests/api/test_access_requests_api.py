"""The access-request JSON API: tokens, 401/403/404 with the common body, no mass assignment."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.accounts import Accounts
from catalog.db import Database
from catalog.demo import load_demo
from catalog.labs import get_lab, load_registry
from catalog.service import Catalogue
from catalog.settings import Settings
from tests.engines import ENGINES, engine_settings

LAB = "aiff-datalab"


@pytest.fixture(params=ENGINES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Each test on the embedded engines, then on the shared ones (tests/engines.py)."""
    return engine_settings(request, tmp_path / "home")


@pytest.fixture
def client(settings):
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        load_registry(cat)
        ident = next(
            i.id
            for i in cat.datasets(source="demo-health", limit=100).items
            if i.id.startswith("synthetic-ehr-fhir")
        )
        factory = get_lab(cat, LAB).factory
    with Database.open(settings) as database:
        accounts = Accounts(database)
        accounts.add_user("dev", "developer")
        accounts.add_user("eve", "developer")
        accounts.add_user("staffer", "staff", factory=factory)
        accounts.add_user("other", "staff", factory="elsewhere")
        tokens = {n: accounts.issue_token(n) for n in ("dev", "eve", "staffer", "other")}
    with TestClient(create_app(settings)) as c:
        c.auth_for = lambda n: {"Authorization": f"Bearer {tokens[n]}"}  # type: ignore[attr-defined]
        c.dataset_id = ident  # type: ignore[attr-defined]
        yield c


def _body(c, **extra):
    return {
        "dataset_id": c.dataset_id,
        "lab": LAB,
        "org_type": "research",
        "country": "DE",
        "purpose": "academic-research",
        **extra,
    }


def test_anonymous_callers_get_401_with_the_common_body(client) -> None:
    r = client.post("/access-requests", json=_body(client))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"
    assert client.get("/access-requests").status_code == 401


def test_state_or_requester_cannot_be_mass_assigned(client) -> None:
    r = client.post(
        "/access-requests", json=_body(client, state="approved"), headers=client.auth_for("dev")
    )
    assert r.status_code == 422
    assert "error" in r.json()
    r = client.post(
        "/access-requests", json=_body(client, requester="eve"), headers=client.auth_for("dev")
    )
    assert r.status_code == 422


def test_approval_opens_the_restricted_sample_to_that_user_only(client) -> None:
    created = client.post(
        "/access-requests",
        json=_body(client, comment="triage model"),
        headers=client.auth_for("dev"),
    )
    assert created.status_code == 201
    req = created.json()
    assert req["state"] == "submitted"
    assert req["requester"] == "dev"
    rid = req["id"]
    assert created.headers["cache-control"] == "private, no-store"

    # Strangers learn nothing: the request does not exist for them.
    for who in ("eve", "other"):
        r = client.get(f"/access-requests/{rid}", headers=client.auth_for(who))
        assert r.status_code == 404
        assert "triage" not in r.text
    r = client.post(f"/access-requests/{rid}/approve", headers=client.auth_for("other"))
    assert r.status_code == 404
    r = client.post(f"/access-requests/{rid}/approve", headers=client.auth_for("dev"))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"

    listed = client.get("/access-requests", headers=client.auth_for("staffer")).json()
    assert [i["id"] for i in listed["items"]] == [rid]
    r = client.post(
        f"/access-requests/{rid}/approve",
        json={"comment": "ok"},
        headers=client.auth_for("staffer"),
    )
    assert r.status_code == 200
    assert r.json()["state"] == "approved"

    grants = client.app.state.services.access_requests.accounts
    assert grants.has_grant("dev", client.dataset_id)
    assert not grants.has_grant("eve", client.dataset_id)

    r = client.post(
        f"/access-requests/{rid}/revoke",
        json={"comment": "ended"},
        headers=client.auth_for("staffer"),
    )
    assert r.json()["state"] == "revoked"
    assert not grants.has_grant("dev", client.dataset_id)
    r = client.post(f"/access-requests/{rid}/approve", headers=client.auth_for("staffer"))
    assert r.status_code == 409


def test_a_prohibited_purpose_is_refused_with_reasons(client) -> None:
    r = client.post(
        "/access-requests",
        json=_body(client, purpose="advertising"),
        headers=client.auth_for("dev"),
    )
    assert r.status_code == 409
    assert r.json()["error"]["details"]["reasons"]


def test_a_second_open_request_for_the_same_dataset_and_lab_is_409_naming_the_first(
    client,
) -> None:
    first = client.post("/access-requests", json=_body(client), headers=client.auth_for("dev"))
    assert first.status_code == 201
    rid = first.json()["id"]
    again = client.post(
        "/access-requests", json=_body(client, comment="once more"), headers=client.auth_for("dev")
    )
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "duplicate_request"
    assert error["details"] == {"request": rid, "href": f"/access-requests/{rid}"}
    assert client.get(error["details"]["href"], headers=client.auth_for("dev")).status_code == 200
    # another requester may ask; the same requester may ask again once the first is closed
    other = client.post("/access-requests", json=_body(client), headers=client.auth_for("eve"))
    assert other.status_code == 201
    mine = client.get("/access-requests", headers=client.auth_for("dev")).json()["items"]
    assert [i["id"] for i in mine] == [rid]
    r = client.post(f"/access-requests/{rid}/withdraw", headers=client.auth_for("dev"))
    assert r.json()["state"] == "withdrawn"
    assert (
        client.post("/access-requests", json=_body(client), headers=client.auth_for("dev"))
    ).status_code == 201
