"""``datalab worker`` end to end: a real loopback CKAN portal, a real catalogue, the queue in
SQLite and in a real PostgreSQL; a worker killed with SIGKILL mid-harvest; two claimers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalog.db import Database, upgrade
from catalog.harvest import HarvestSources, JobStore
from catalog.jobs import DONE, JobQueue, harvest_key
from catalog.service import Catalogue
from catalog.settings import Settings
from cli.app import app
from tests.connectors.ckan_server import CkanPortal, corpus_packages
from tests.connectors.loopback import Answer, Loopback, serve

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def server() -> Iterator[Loopback]:
    with serve() as srv:
        yield srv


@pytest.fixture
def portal(server: Loopback, corpus: Path) -> CkanPortal:
    return CkanPortal(server, corpus_packages(corpus))


def _env(settings: Settings, server: Loopback, **extra: str) -> dict[str, str]:
    env = {
        "DATALAB_HOME": str(settings.home),
        "DATALAB_FETCH_ALLOW_HOSTS": f"127.0.0.1:{server.port}",
        "DATALAB_FETCH_HOST_DELAY_S": "0",
        "DATALAB_FETCH_BACKOFF_S": "0.01",
        "DATALAB_FETCH_READ_TIMEOUT_S": "5",
        "DATALAB_FETCH_TOTAL_TIMEOUT_S": "10",
        **extra,
    }
    if settings.database_url is not None:
        env["DATALAB_DATABASE_URL"] = settings.database_url
    return env


def _enqueue_harvest(settings: Settings, source: str) -> int:
    with Database.open(settings) as database:
        job, created = JobQueue(database).enqueue(
            "harvest", {"source": source, "full": False}, dedupe_key=harvest_key(source)
        )
    assert created
    return job.id


def test_worker_once_runs_a_queued_harvest_end_to_end(
    db_settings: Settings, database: Database, server: Loopback, portal: CkanPortal
) -> None:
    HarvestSources(db_settings).add("demo", "ckan", portal.url, options={"rows": 2})
    job_id = _enqueue_harvest(db_settings, "demo")
    env = _env(db_settings, server)
    ran = CliRunner().invoke(app, ["worker", "--once", "--id", "w-test", "--json"], env=env)
    assert ran.exit_code == 0, ran.output
    with Database.open(db_settings) as database:
        queue = JobQueue(database)
        done = queue.get(job_id)
        assert done.state == DONE and done.attempts == 1 and done.error is None
        assert done.result is not None and done.result["status"] == "succeeded"
        validated = queue.get(int(done.result["validate_job"]))  # queued, then run by --once
        assert validated.kind == "validate" and validated.state == DONE
        assert validated.result is not None and validated.result["validated"] > 0
    harvest = JobStore(db_settings).find(str(done.result["harvest_job"]))
    assert harvest.status == "succeeded" and harvest.published
    assert harvest.counts["new"] == len(portal.packages)
    assert harvest.validation["waiting"] == 0 and harvest.validation["done"] > 0
    with Catalogue.open(db_settings) as cat:
        assert cat.count("demo") == len(portal.packages)
    again = CliRunner().invoke(app, ["worker", "--once"], env=env)  # nothing left to do
    assert again.exit_code == 0 and again.output == ""


def test_a_worker_killed_mid_harvest_leaves_the_job_to_another_after_the_lease(
    pg_url: str, tmp_path: Path, server: Loopback, portal: CkanPortal
) -> None:
    settings = server.settings(tmp_path / "home", database_url=pg_url)
    with Database.postgresql(pg_url) as fresh:
        upgrade(fresh)
    HarvestSources(settings).add("demo", "ckan", portal.url, options={"rows": 2})
    job_id = _enqueue_harvest(settings, "demo")
    slow = {"on": True}

    def slow_pages(_n: int, _q: dict[str, list[str]]) -> Answer | None:
        if slow["on"]:
            time.sleep(0.5)  # a slow source: the listing lasts seconds
        return None

    portal.fault = slow_pages
    env = {**os.environ, **_env(settings, server, DATALAB_WORKER_LEASE_S="5")}
    env["PYTHONPATH"] = str(REPO)
    cmd = [sys.executable, "-m", "cli", "worker"]
    first = subprocess.Popen([*cmd, "--id", "doomed"], env=env, cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    with Database.open(settings) as database:
        queue = JobQueue(database)
        try:
            deadline = time.monotonic() + 60
            while not (queue.get(job_id).result and len(portal.requests) >= 2):
                assert time.monotonic() < deadline, "the worker never started the harvest"
                assert first.poll() is None, "the worker exited early"
                time.sleep(0.05)
            os.kill(first.pid, signal.SIGKILL)  # mid-listing, holding the lease
        finally:
            first.kill()
            first.wait(10)
        killed = queue.get(job_id)
        assert killed.state == "running" and killed.lease_owner == "doomed"
        slow["on"] = False
        takeover = [*cmd, "--once", "--id", "heir"]
        early = subprocess.run(takeover, env=env, cwd=REPO, capture_output=True, timeout=60)
        assert early.returncode == 0 and queue.get(job_id).lease_owner == "doomed"  # leased
        assert killed.lease_until is not None
        while datetime.now(UTC) <= queue.get(job_id).lease_until:  # type: ignore[operator]
            time.sleep(0.2)
        late = subprocess.run(takeover, env=env, cwd=REPO, capture_output=True, timeout=120)
        assert late.returncode == 0, late.stderr
        done = queue.get(job_id)
    assert done.state == DONE and done.attempts == 2 and done.result is not None
    assert done.result["status"] == "succeeded"
    with Catalogue.open(settings) as cat:
        runs = JobStore(settings, cat).list("demo")
    assert sorted(r.status for r in runs) == ["failed", "succeeded"]  # the killed one settled
    assert [r.id for r in runs if r.published] == [done.result["harvest_job"]]


CLAIMER = """
import sys, time
from catalog.db import Database, upgrade
from catalog.jobs import JobQueue
from catalog.settings import get_settings
worker, out = sys.argv[1], sys.argv[2]
with Database.open(get_settings(database_url=sys.argv[3])) as db:
    queue = JobQueue(db)
    with open(out, "w") as f:
        while (job := queue.claim(worker, ["noop"], 60)) is not None:
            f.write(f"{job.id}\\n"); f.flush()
            time.sleep(0.01)
            assert queue.complete(job.id, worker)
"""


@pytest.fixture
def pg_database(pg_url: str) -> Iterator[Database]:
    with Database.postgresql(pg_url) as db:
        upgrade(db)
        yield db


def test_two_processes_against_postgresql_never_claim_the_same_job(
    pg_url: str, pg_database: Database, tmp_path: Path
) -> None:
    queue = JobQueue(pg_database)
    ids = {queue.enqueue("noop", {"n": n})[0].id for n in range(80)}
    env = {**os.environ, "PYTHONPATH": str(REPO), "DATALAB_HOME": str(tmp_path / "home")}
    outs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    procs = [
        subprocess.Popen([sys.executable, "-c", CLAIMER, name, str(out), pg_url], env=env)
        for name, out in zip(("a", "b"), outs, strict=True)
    ]
    for proc in procs:
        assert proc.wait(120) == 0
    claimed = [[int(x) for x in out.read_text().split()] for out in outs]
    assert all(claimed), "both processes claimed jobs"
    assert not set(claimed[0]) & set(claimed[1])
    assert sorted(claimed[0] + claimed[1]) == sorted(ids)  # each job exactly once
    assert {j.state for j in queue.list(limit=200)} == {DONE}
    assert {j.attempts for j in queue.list(limit=200)} == {1}
