"""``search-snapshot`` jobs end to end: a worker publishes its own search index to a real S3
server (SeaweedFS) when the latest snapshot is older than ``search_snapshot_every_s``, and
an API replica with no index starts from that snapshot in the background (``/health``
says so), then follows the change feed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from catalog.db import Database
from catalog.demo import load_demo
from catalog.ids import dataset_id
from catalog.jobs import DONE, JobQueue
from catalog.jobs.worker import SNAPSHOT, Worker
from catalog.search import snapshots
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from tests.catalog.search.test_snapshots import pollen, s3_settings


def run_worker(settings: Settings) -> dict[str, dict[str, Any]]:
    """One worker's turns until nothing is due: the result of each job, by kind."""
    with Database.open(settings) as database:
        turns = Worker(settings, database, worker_id="w1").run(once=True)
        queue = JobQueue(database)
        jobs = [queue.get(t.job.id) for t in turns if t.job is not None]
    assert all(j.state == DONE for j in jobs), [j.error for j in jobs]
    return {j.kind: j.result or {} for j in jobs}


def health_search(client: TestClient, origin: str) -> dict[str, Any]:
    """``/health``'s ``search`` once the index was opened with ``origin`` (it opens in the
    background; ``/health`` answers meanwhile)."""
    deadline = time.monotonic() + 60
    while True:
        search: dict[str, Any] = client.get("/health").json()["search"]
        if search["origin"] is not None or time.monotonic() > deadline:
            assert search["origin"] == origin, search
            return search
        time.sleep(0.1)


def test_a_worker_publishes_on_schedule_and_a_new_replica_starts_from_the_snapshot(
    tmp_path: Path, s3_endpoint: str
) -> None:
    settings = get_settings(
        home=tmp_path / "home",
        search_snapshot_every_s=3600,
        search_snapshot_keep=2,
        **s3_settings(s3_endpoint),
    )
    storage = snapshots.storage_for(settings)
    assert storage is not None
    with Catalogue.open(settings) as cat:
        load_demo(cat)
        head = cat.changes.head()

    first = run_worker(settings)[SNAPSHOT]  # no snapshot yet: due at once
    assert first["uploaded"] and first["position"] == head and first["datasets"] == 41
    assert first["index_origin"] == "build"
    assert (settings.home / snapshots.WORKER_FOLDER / "index.sqlite").exists()
    assert SNAPSHOT not in run_worker(settings)  # LATEST is fresh: nothing due

    with TestClient(create_app(settings)) as client:
        search = health_search(client, "snapshot")
        assert search["snapshot_position"] == head == search["position"]
        assert search["lag"] == 0
        assert client.get("/search").json()["total"] == 41
        services = client.app.state.services  # type: ignore[attr-defined]
        services.catalogue.load(pollen("fen"), fmt="turtle", source="late")
        hits = client.get("/search", params={"q": "pollen"}).json()["items"]
        assert [h["id"] for h in hits] == [dataset_id("https://ex.org/ds/fen")]
        after = client.get("/health").json()["search"]
        assert after["origin"] == "snapshot" and after["position"] == head + 1

    with Database.open(settings) as database:  # due again (as if an hour had passed)
        JobQueue(database).enqueue(SNAPSHOT, {}, dedupe_key=SNAPSHOT)
    second = run_worker(settings)[SNAPSHOT]
    assert second["uploaded"] and second["position"] == head + 1
    assert second["index_origin"] == "existing"  # the worker's index followed the feed
    assert [s.position for s in snapshots.snapshots(storage)] == [head, head + 1]
