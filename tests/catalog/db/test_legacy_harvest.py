"""A catalogue from before the database: its harvest files are imported once, then kept
aside as ``*.migrated``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.db import Database, upgrade
from catalog.harvest import HarvestSources, JobStore
from catalog.harvest.queue import ValidationQueue
from catalog.settings import Settings

URL = "https://portal.example.org/catalog.ttl"
JOB = "20250101T000000000-abcd1234"

# The queue's table as catalog/harvest/queue.py created it in validation.sqlite.
OLD_QUEUE = """
CREATE TABLE validation (
    job TEXT NOT NULL, source TEXT NOT NULL, record TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting', findings TEXT, note TEXT, claimed_by TEXT,
    claimed_at REAL, queued_at REAL NOT NULL, PRIMARY KEY (job, record));
"""


def write_old_harvest(harvest: Path) -> None:
    (harvest / "jobs" / "portal").mkdir(parents=True)
    sources = {
        "portal": {
            "name": "portal", "type": "dcat", "url": URL, "incremental": True,
            "options": {"rows": 5}, "created": "2025-01-01T00:00:00+00:00",
            "cursor": "2025-01-01T00:00:00", "owner": "organisation:Org A",
        }
    }  # fmt: skip
    (harvest / "sources.json").write_text(json.dumps(sources))
    job = {
        "id": JOB, "source": "portal", "started": "2025-01-01T00:00:00+00:00",
        "finished": "2025-01-01T00:01:00+00:00", "status": "partial", "pages": 4,
        "errors": [{"record": "r9", "message": "no title"}],
    }  # fmt: skip
    (harvest / "jobs" / "portal" / f"{JOB}.json").write_text(json.dumps(job))
    db = sqlite3.connect(harvest / "validation.sqlite", isolation_level=None)
    db.executescript(OLD_QUEUE)
    db.executemany(
        "INSERT INTO validation (job, source, record, state, findings, queued_at) "
        "VALUES (?, 'portal', ?, ?, ?, 1.0)",
        [(JOB, "r1", "done", json.dumps(["dct:title: missing"])), (JOB, "r2", "waiting", None)],
    )
    db.close()


@pytest.fixture
def opened(db_settings: Settings) -> Iterator[Database]:
    if db_settings.database_url is not None:
        with Database.postgresql(db_settings.database_url) as fresh:
            upgrade(fresh)
    with Database.open(db_settings) as database:
        yield database


def test_old_harvest_files_are_imported_once(db_settings: Settings, opened: Database) -> None:
    harvest = db_settings.home / "harvest"
    write_old_harvest(harvest)
    sources = HarvestSources(opened)
    jobs = JobStore(db_settings, database=opened)

    source = sources.get("portal")
    assert (source.type, source.options, source.cursor) == (
        "dcat",
        {"rows": 5},
        "2025-01-01T00:00:00",
    )
    assert source.incremental and source.owner == "organisation:Org A"
    job = jobs.get("portal", JOB)
    assert job.status == "partial" and job.pages == 4 and job.errors[0]["record"] == "r9"
    assert job.validation["done"] == 1 and job.validation["waiting"] == 1
    assert job.validation["reports"] == {"r1": ["dct:title: missing"]}
    for name in ("sources.json", "jobs", "validation.sqlite"):
        assert not (harvest / name).exists()
        assert (harvest / f"{name}.migrated").exists()

    again = Database.open(db_settings)  # a second open imports nothing more
    with again:
        assert len(HarvestSources(again).list()) == 1
        assert len(JobStore(db_settings, database=again).list()) == 1
        assert ValidationQueue(db_settings, again).waiting() == 1


def test_old_sources_are_not_imported_over_existing_ones(
    db_settings: Settings, opened: Database, caplog: pytest.LogCaptureFixture
) -> None:
    HarvestSources(opened).add("newer", "dcat", URL)
    write_old_harvest(db_settings.home / "harvest")
    assert [s.name for s in HarvestSources(opened).list()] == ["newer"]
    assert (db_settings.home / "harvest" / "sources.json").is_file()  # left for the operator
    assert "was not imported" in caplog.text


def test_the_settings_form_imports_too(tmp_path: Path) -> None:
    """``HarvestSources(settings)``, as most callers write it, on the embedded database."""
    from catalog.settings import get_settings

    settings = get_settings(home=tmp_path)
    write_old_harvest(tmp_path / "harvest")
    assert HarvestSources(settings).get("portal").url == URL
    assert JobStore(settings).get("portal", JOB).pages == 4
    assert (tmp_path / "harvest" / "jobs.migrated" / "portal" / f"{JOB}.json").is_file()
