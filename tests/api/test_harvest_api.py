"""The harvest API over a real loopback CKAN portal: sources, jobs, who may run them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.settings import Settings
from tests.connectors.ckan_server import CkanPortal, corpus_packages
from tests.connectors.loopback import Answer, Loopback, serve


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


@pytest.fixture
def portal(server: Loopback, corpus: Path) -> CkanPortal:
    return CkanPortal(server, corpus_packages(corpus))


@pytest.fixture
def hsettings(server: Loopback, tmp_path: Path) -> Settings:
    return server.settings(tmp_path / "home")


@pytest.fixture
def tokens(hsettings: Settings) -> dict[str, str]:
    accounts = Accounts(accounts_path(hsettings.home))
    out = {}
    for role in ("developer", "steward", "staff", "admin"):
        accounts.add_user(f"{role}-1", role, organisation="org", factory="fac")
        out[role] = accounts.issue_token(f"{role}-1")
    return out


@pytest.fixture
def client(hsettings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(hsettings)) as c:
        yield c


def _auth(tokens: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[role]}"}


def _add(client: TestClient, tokens: dict, portal: CkanPortal, role: str = "steward", **kw):
    body = {"name": "demo", "type": "ckan", "url": portal.url, "options": {"rows": 2}, **kw}
    return client.post("/sources", json=body, headers=_auth(tokens, role))


def _wait(client: TestClient, job_id: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] != "running":
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still running after 30 s")


def test_steward_registers_runs_and_reads_a_source(client, tokens, portal) -> None:
    created = _add(client, tokens, portal)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/sources/demo"
    listed = client.get("/sources").json()
    assert [s["name"] for s in listed["items"]] == ["demo"]
    assert listed["items"][0]["latest_job"] is None

    started = client.post("/sources/demo/harvest", headers=_auth(tokens, "steward"))
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    assert started.headers["location"] == f"/jobs/{job_id}"
    job = _wait(client, job_id)
    assert job["status"] == "succeeded", job["message"]
    assert job["counts"] == {"new": 5, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 0}

    shown = client.get("/sources/demo").json()
    assert shown["type"] == "ckan"
    assert [j["id"] for j in shown["jobs"]] == [job_id]
    jobs = client.get("/sources/demo/jobs").json()
    assert jobs["count"] == 1
    assert jobs["items"][0]["status"] == "succeeded"
    assert client.get("/sources").json()["items"][0]["latest_job"]["id"] == job_id


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admin_may_manage_sources(client, tokens, portal, role) -> None:
    assert _add(client, tokens, portal, role).status_code == 201
    started = client.post("/sources/demo/harvest", headers=_auth(tokens, role))
    assert started.status_code == 202
    assert _wait(client, started.json()["id"])["status"] == "succeeded"


def test_anonymous_and_developers_may_only_read(client, tokens, portal) -> None:
    body = {"name": "demo", "type": "ckan", "url": portal.url}
    anonymous = client.post("/sources", json=body)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"
    developer = client.post("/sources", json=body, headers=_auth(tokens, "developer"))
    assert developer.status_code == 403
    assert developer.json()["error"]["code"] == "forbidden"
    assert client.get("/sources").json()["count"] == 0
    assert _add(client, tokens, portal).status_code == 201
    assert client.post("/sources/demo/harvest").status_code == 401
    denied = client.post("/sources/demo/harvest", headers=_auth(tokens, "developer"))
    assert denied.status_code == 403
    assert portal.requests == []  # nothing was fetched
    assert client.get("/sources/demo/jobs").json()["count"] == 0
    bad_token = client.post("/sources", json=body, headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401


def test_invalid_sources_are_refused_in_plain_words(client, tokens, portal) -> None:
    assert _add(client, tokens, portal, type="gopher").status_code == 404
    wrong = _add(client, tokens, portal, url="file:///etc/passwd")
    assert wrong.status_code == 400
    assert "http:// or https://" in wrong.json()["error"]["message"]
    assert _add(client, tokens, portal, name="Bad Name!").status_code == 400
    assert _add(client, tokens, portal).status_code == 201
    assert _add(client, tokens, portal).status_code == 409


def test_unknown_source_and_job_are_404(client, tokens) -> None:
    assert client.get("/sources/nope").status_code == 404
    assert client.get("/sources/nope/jobs").status_code == 404
    assert client.get("/jobs/20990101T000000-deadbeef").status_code == 404
    assert client.get("/jobs/..%2Fsources").status_code == 404
    missing = client.post("/sources/nope/harvest", headers=_auth(tokens, "steward"))
    assert missing.status_code == 404


def test_failed_harvest_is_reported_with_its_reason(client, tokens, portal) -> None:
    _add(client, tokens, portal)
    portal.fault = lambda _n, _q: Answer(200, b"<html>login</html>", {"Content-Type": "text/html"})
    started = client.post("/sources/demo/harvest", headers=_auth(tokens, "steward"))
    job = _wait(client, started.json()["id"])
    assert job["status"] == "failed"
    assert "HTML page" in job["message"]
    assert "nothing was published" in job["message"]


def test_second_run_while_one_is_running_is_a_conflict(client, tokens, portal) -> None:
    _add(client, tokens, portal)
    release = threading.Event()

    def slow(_n: int, _q: dict) -> None:
        release.wait(10)  # hold the first run on its first page

    portal.fault = slow
    first = client.post("/sources/demo/harvest", headers=_auth(tokens, "steward"))
    assert first.status_code == 202
    assert client.get(f"/jobs/{first.json()['id']}").json()["status"] == "running"
    second = client.post("/sources/demo/harvest", headers=_auth(tokens, "steward"))
    assert second.status_code == 409
    assert "already running" in second.json()["error"]["message"]
    release.set()
    assert _wait(client, first.json()["id"])["status"] == "succeeded"
