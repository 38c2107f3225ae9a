"""The harvest API with DATALAB_WORKERS=queue: the POST queues the harvest (202, queue id and
status URL), the API runs nothing itself, a real ``datalab worker`` process completes it;
queue mode on the embedded store is refused at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from catalog.accounts import Accounts, accounts_path
from catalog.errors import ConfigurationError
from catalog.settings import Settings
from tests.catalog.store.conftest import OxigraphServer, sparql_settings
from tests.connectors.ckan_server import CkanPortal, corpus_packages
from tests.connectors.loopback import Loopback, serve

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


@pytest.fixture
def portal(server: Loopback, corpus: Path) -> CkanPortal:
    return CkanPortal(server, corpus_packages(corpus))


@pytest.fixture
def sparql(tmp_path: Path) -> Iterator[OxigraphServer]:
    (tmp_path / "oxigraph").mkdir()
    srv = OxigraphServer(tmp_path / "oxigraph" / "db")
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def qsettings(server: Loopback, sparql: OxigraphServer, tmp_path: Path) -> Settings:
    loopback = server.settings(tmp_path / "home")
    return sparql_settings(
        sparql,
        tmp_path / "home",
        workers="queue",
        fetch_allow_hosts=loopback.fetch_allow_hosts,
        fetch_host_delay_s=0,
        fetch_backoff_s=0.01,
    )


def _token(settings: Settings) -> dict[str, str]:
    accounts = Accounts(accounts_path(settings.home))
    accounts.add_user("steward-1", "steward", organisation="org")
    return {"Authorization": f"Bearer {accounts.issue_token('steward-1')}"}


def _worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DATALAB_HOME": str(settings.home),
        "DATALAB_STORE_BACKEND": "sparql",
        "DATALAB_SPARQL_QUERY_URL": settings.sparql_query_url or "",
        "DATALAB_SPARQL_UPDATE_URL": settings.sparql_update_url or "",
        "DATALAB_SPARQL_GSP_URL": settings.sparql_gsp_url or "",
        "DATALAB_FETCH_ALLOW_HOSTS": ",".join(settings.fetch_allow_hosts),
        "DATALAB_FETCH_HOST_DELAY_S": "0",
        "DATALAB_WORKERS": "queue",
    }


def test_queue_mode_answers_202_and_a_worker_completes_the_harvest(
    qsettings: Settings, portal: CkanPortal
) -> None:
    auth = _token(qsettings)
    with TestClient(create_app(qsettings)) as client:
        body = {"name": "demo", "type": "ckan", "url": portal.url, "options": {"rows": 2}}
        assert client.post("/sources", json=body, headers=auth).status_code == 201

        queued = client.post("/sources/demo/harvest", headers=auth)
        assert queued.status_code == 202, queued.text
        job = queued.json()
        assert job["id"].startswith("queue-") and job["status"] == "queued"
        assert queued.headers["location"] == job["status_url"] == f"/jobs/{job['id']}"
        time.sleep(0.5)
        assert portal.requests == []  # the API harvests nothing itself
        polled = client.get(job["status_url"]).json()
        assert polled["status"] == "queued" and polled["attempts"] == 0
        assert polled["source"] == "demo" and polled["error"] is None
        again = client.post("/sources/demo/harvest", headers=auth)
        assert again.status_code == 409 and job["id"] in again.text

        worker = subprocess.run(
            [sys.executable, "-m", "cli", "worker", "--once"],
            env=_worker_env(qsettings),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert worker.returncode == 0, worker.stderr
        done = client.get(job["status_url"]).json()
        assert done["status"] == "succeeded", done  # the harvest job itself, now
        assert done["source"] == "demo" and done["published"]
        assert done["counts"]["new"] == len(portal.packages)
        assert done["queue"]["state"] == "done" and done["queue"]["attempts"] == 1
        assert client.get(f"/jobs/{done['id']}").json()["status"] == "succeeded"
        listed = client.get("/datasets", params={"limit": 100}).json()
        assert len(listed["items"]) >= len(portal.packages)
        assert client.get("/jobs/queue-999").status_code == 404
        assert client.get("/jobs/queue-x").status_code == 404


def test_queue_mode_on_the_embedded_store_is_refused(server: Loopback, tmp_path: Path) -> None:
    settings = server.settings(tmp_path / "home", workers="queue")
    with (
        pytest.raises(ConfigurationError, match="DATALAB_STORE_BACKEND=sparql"),
        TestClient(create_app(settings)),
    ):
        pass
