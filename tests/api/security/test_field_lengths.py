"""Every string and list a caller can make the catalogue store has a documented maximum:
past it the answer is 400 naming the field (or 413 past the body cap), and nothing is kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.errors import InvalidInput
from catalog.field_limits import FieldLimits
from catalog.labs import load_registry
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings

LAB = "bsc-datalab"
MB = 1_000_000


@pytest.fixture
def staff(tmp_path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = get_settings(home=tmp_path / "home", offers_index="off")
    with Catalogue.open(settings) as cat:
        load_registry(cat)
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("ana", "staff", factory="bsc")
    headers = {"Authorization": f"Bearer {accounts.issue_token('ana')}"}
    with TestClient(create_app(settings)) as client:
        yield client, headers


def _refused(response: Any, where: str) -> None:
    assert response.status_code == 400, response.text[:300]
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["where"] == where


def test_a_1_mb_lab_name_is_refused_and_not_stored(staff) -> None:
    client, headers = staff
    lab = {"id": "bsc-big-lab", "name": "x" * MB, "access_modes": ["Download"]}
    _refused(client.post("/labs", json=lab, headers=headers), "name")
    assert client.get("/labs/bsc-big-lab").status_code == 404
    before = client.get(f"/labs/{LAB}").json()
    _refused(client.patch(f"/labs/{LAB}", json={"name": "x" * MB}, headers=headers), "name")
    too_big = client.patch(f"/labs/{LAB}", json={"name": "x" * (2 * MB)}, headers=headers)
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"
    assert client.get(f"/labs/{LAB}").json() == before


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"name": "n" * 201}, "name"),
        ({"sectors": ["s" * 201]}, "sectors"),
        ({"sectors": [f"sector {i}" for i in range(101)]}, "sectors"),
        ({"fees": "f" * 4001}, "fees"),
        ({"duties": ["d" * 201]}, "duties"),
        ({"duties": ["attribute> <x"]}, "duties"),
        ({"procedure": [{"label": "l" * 4001}]}, "procedure.label"),
        ({"procedure": [{"label": "apply", "form": "javascript:alert(1)"}]}, "procedure.form"),
        ({"procedure": [{"label": "step"}] * 101}, "procedure"),
        ({"sectors": "not a list"}, "sectors"),
    ],
)
def test_each_stored_lab_field_has_a_maximum(staff, change: dict, where: str) -> None:
    client, headers = staff
    before = client.get(f"/labs/{LAB}").json()
    _refused(client.patch(f"/labs/{LAB}", json=change, headers=headers), where)
    assert client.get(f"/labs/{LAB}").json() == before


def test_values_at_the_maximum_are_kept(staff) -> None:
    client, headers = staff
    change = {
        "name": "n" * 200,
        "sectors": [f"sector {i:03d}" for i in range(100)],
        "fees": "f" * 4000,
        "procedure": [{"label": "l" * 4000, "form": "https://example.eu/apply"}],
    }
    r = client.patch(f"/labs/{LAB}", json=change, headers=headers)
    assert r.status_code == 200, r.text[:300]
    stored = client.get(f"/labs/{LAB}").json()
    assert stored["name"] == change["name"]
    assert len(stored["sectors"]) == 100
    assert stored["procedure"][0]["label"] == "l" * 4000


def test_access_request_comments_follow_the_setting(tmp_path) -> None:
    settings = get_settings(home=tmp_path / "home", max_field_chars=100, offers_index="off")
    with Catalogue.open(settings) as cat:
        load_registry(cat)
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("dev", "developer")
    headers = {"Authorization": f"Bearer {accounts.issue_token('dev')}"}
    with TestClient(create_app(settings)) as client:
        body = {
            "dataset_id": "no-such-dataset",
            "lab": LAB,
            "org_type": "research",
            "country": "DE",
            "purpose": "academic-research",
            "comment": "c" * 101,
        }
        _refused(client.post("/access-requests", json=body, headers=headers), "comment")


def test_user_names_organisations_and_factories_are_bounded(tmp_path) -> None:
    accounts = Accounts(tmp_path / "accounts.sqlite3", FieldLimits(name_chars=20, text_chars=50))
    for kwargs, where in [
        ({"name": "u" * 21}, "name"),
        ({"name": "ok", "organisation": "o" * 51}, "organisation"),
        ({"name": "ok", "factory": "f" * 21}, "factory"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            accounts.add_user(role="steward", **kwargs)  # type: ignore[arg-type]
        assert caught.value.where == where
    assert accounts.users() == []
    accounts.add_user("ok", "steward", organisation="o" * 50)
    with pytest.raises(InvalidInput):
        accounts.set_role("ok", "staff", factory="f" * 21)


def test_the_defaults_are_the_settings_defaults() -> None:
    assert FieldLimits() == FieldLimits.from_settings(Settings())
