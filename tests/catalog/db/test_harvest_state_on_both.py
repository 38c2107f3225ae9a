"""Harvest sources, jobs and the validation queue: the same on the embedded SQLite file and
on PostgreSQL, and shared by every process (and machine) on one PostgreSQL database."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from catalog.db import Database, upgrade
from catalog.errors import Conflict, InvalidInput, NotFound, SourceNotFound
from catalog.harvest import HarvestSources, JobStore
from catalog.harvest.jobs import FAILED, RUNNING, SUCCEEDED, Job
from catalog.harvest.queue import DONE, Queued, ValidationQueue
from catalog.settings import Settings, get_settings

URL = "https://portal.example.org/catalog.ttl"


def test_sources_are_added_listed_advanced_and_removed(database: Database) -> None:
    sources = HarvestSources(database)
    sources.add("zeta", "dcat", URL, owner="organisation:Org A")
    added = sources.add("a_b", "ckan", URL, incremental=True, options={"rows": 5, "ü": "x"})
    sources.add("beta", "dcat", URL, owner="organisation:Org A")
    assert sources.get("a_b") == added
    assert added.options == {"rows": 5, "ü": "x"} and added.incremental is True
    assert [s.name for s in sources.list()] == ["a_b", "beta", "zeta"]  # by code point
    assert [s.name for s in sources.list("organisation:Org A")] == ["beta", "zeta"]
    with pytest.raises(Conflict, match="already exists"):
        sources.add("a_b", "dcat", URL)
    with pytest.raises(InvalidInput, match="reserved"):
        sources.add("local", "dcat", URL)

    assert sources.advance_cursor("a_b", "2025-03-01T00:00:00") is True
    assert sources.advance_cursor("a_b", "2025-02-01T00:00:00") is False  # never back
    assert sources.advance_cursor("a_b", "2025-03-01T00:00:00") is False
    assert sources.get("a_b").cursor == "2025-03-01T00:00:00"
    assert sources.advance_cursor("nobody", "2025-03-01T00:00:00") is False

    changed = sources.get("beta")
    changed.url, changed.options = "https://other.example.org/x.ttl", {"rows": 1}
    sources.save(changed)
    assert sources.get("beta") == changed
    assert sources.remove("beta") == changed
    with pytest.raises(SourceNotFound):
        sources.remove("beta")
    with pytest.raises(SourceNotFound):
        sources.get("beta")


def _job(jobs: JobStore, source: str, **fields: object) -> Job:
    job = jobs.new(source)
    for name, value in fields.items():
        setattr(job, name, value)
    jobs.save(job)
    return job


def test_jobs_started_in_one_millisecond_still_list_newest_first(
    db_settings: Settings, database: Database
) -> None:
    jobs = JobStore(db_settings, database=database)
    started = [jobs.new("a").id for _ in range(40)]  # many within one millisecond
    assert len(set(started)) == 40
    assert [j.id for j in jobs.list("a", limit=40)] == started[::-1]


def test_jobs_are_saved_found_listed_and_dead_runs_settled(
    db_settings: Settings, database: Database
) -> None:
    jobs = JobStore(db_settings, database=database)
    first = _job(jobs, "a", status=SUCCEEDED, finished="2025-01-01T00:00:00+00:00")
    first.error("rec-1", "no title")
    jobs.save(first)
    second = _job(jobs, "b", status=SUCCEEDED)
    third = _job(jobs, "a", status=SUCCEEDED)
    assert jobs.get("a", first.id).errors == [{"record": "rec-1", "message": "no title"}]
    assert jobs.get("a", first.id).counts["failed"] == 1
    assert jobs.find(second.id).source == "b"
    with pytest.raises(NotFound):
        jobs.get("b", first.id)  # a job is only found under its own source
    with pytest.raises(NotFound):
        jobs.find("../x")
    assert [j.id for j in jobs.list("a")] == [third.id, first.id]  # newest first
    assert [j.id for j in jobs.list(limit=2)] == [third.id, second.id]

    # A run whose process died (its source lock is free) before its pending step failed.
    dead = _job(jobs, "c")
    with jobs.lock("d"):  # a run of "d" that is still alive keeps its job running
        alive = _job(jobs, "d")
        settled = jobs.reconcile()
        assert [j.id for j in settled] == [dead.id]
        assert jobs.get("d", alive.id).status == RUNNING
    after = jobs.get("c", dead.id)
    assert after.status == FAILED and after.interrupted and not after.published
    assert "nothing was published" in (after.message or "")


def test_a_settled_job_never_overwrites_the_end_its_run_recorded(
    db_settings: Settings, database: Database
) -> None:
    """A reader that saw "running" just before the run ended finds its lock free: the end
    the run recorded stands."""
    jobs = JobStore(db_settings, database=database)
    seen = _job(jobs, "a")  # what the reader read: running, no pending step
    ended = jobs.get("a", seen.id)
    ended.status, ended.finished = SUCCEEDED, "2025-01-02T00:00:00+00:00"
    jobs.save(ended)  # the run ended meanwhile
    assert jobs._recover(seen).status == SUCCEEDED  # the race, replayed
    assert jobs.get("a", seen.id).status == SUCCEEDED


def test_the_queue_claims_finishes_and_reports_progress(
    db_settings: Settings, database: Database
) -> None:
    queue = ValidationQueue(db_settings, database)
    queue.enqueue("j1", "src", ["r1", "r2", "r3"])
    queue.enqueue("j1", "src", ["r1"])  # queued twice: once
    queue.enqueue("j2", "src", ["s1"])
    assert queue.waiting() == 4 and queue.waiting("j1") == 3
    claimed = queue.claim(2)
    assert [q.record for q in claimed] == ["r1", "r2"]  # of one job, the oldest first
    queue.finish([(claimed[0], DONE, ["dct:title: missing"], None), (claimed[1], DONE, None, None)])
    progress = queue.progress("j1")
    assert progress is not None
    assert progress["done"] == 2 and progress["nonconforming"] == 1
    assert progress["reports"] == {"r1": ["dct:title: missing"]}
    assert queue.count(DONE) == 2
    queue.forget("j2")
    assert queue.progress("j2") is None and queue.waiting("j2") == 0


def test_a_claim_of_a_live_claimant_elsewhere_is_not_taken(
    db_settings: Settings, database: Database
) -> None:
    queue = ValidationQueue(db_settings, database)
    queue.enqueue("j1", "src", ["r1", "r2"])
    with database.transaction() as conn:  # claimed by a live process on another machine
        from catalog.db.schema import harvest_validation as table

        conn.execute(
            table.update()
            .where(table.c.record == "r1")
            .values(claimed_by="elsewhere:1:1", claimed_at=9e18)
        )
    assert [q.record for q in queue.claim(5)] == ["r2"]
    queue.release([Queued("j1", "src", "r2")])
    assert [q.record for q in queue.claim(5)] == ["r2"]


# -- several processes and machines on one PostgreSQL database -------------------------------


@pytest.fixture
def pg_settings(pg_url: str, tmp_path: Path) -> Settings:
    with Database.postgresql(pg_url) as fresh:
        upgrade(fresh)
    return get_settings(home=tmp_path / "home", database_url=pg_url)


@pytest.fixture
def two_databases(pg_settings: Settings) -> Iterator[tuple[Database, Database]]:
    """Two Database objects on one PostgreSQL database: two replicas, as far as it knows."""
    with Database.open(pg_settings) as one, Database.open(pg_settings) as other:
        yield one, other


def test_a_source_and_a_job_written_by_one_replica_are_read_by_another(
    pg_settings: Settings, two_databases: tuple[Database, Database]
) -> None:
    one, other = two_databases
    HarvestSources(one).add("shared", "dcat", URL, owner="factory:f1")
    assert HarvestSources(other).get("shared").owner == "factory:f1"
    with pytest.raises(Conflict, match="already exists"):
        HarvestSources(other).add("shared", "ckan", URL)
    job = _job(JobStore(pg_settings, database=one), "shared", status=SUCCEEDED, pages=3)
    read = JobStore(pg_settings, database=other).get("shared", job.id)
    assert read.status == SUCCEEDED and read.pages == 3
    ValidationQueue(pg_settings, one).enqueue(job.id, "shared", ["r1"])
    assert ValidationQueue(pg_settings, other).waiting(job.id) == 1


def _threads(work: Callable[[int], None], count: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            work(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_replicas_adding_one_name_at_once_get_one_source_and_conflicts(
    pg_settings: Settings,
) -> None:
    databases = [Database.open(pg_settings) for _ in range(6)]
    barrier = threading.Barrier(len(databases))

    def add(n: int) -> None:
        sources = HarvestSources(databases[n])
        barrier.wait()
        sources.add("contested", "dcat", f"{URL}?by={n}")

    try:
        errors = _threads(add, len(databases))
    finally:
        for database in databases:
            database.close()
    assert len(errors) == 5 and all(isinstance(e, Conflict) for e in errors), errors
    with Database.open(pg_settings) as database:
        assert [s.name for s in HarvestSources(database).list()] == ["contested"]


def test_concurrent_writers_lose_no_source_job_or_cursor(pg_settings: Settings) -> None:
    databases = [Database.open(pg_settings) for _ in range(4)]
    with Database.open(pg_settings) as database:
        HarvestSources(database).add("cursor", "dcat", URL, incremental=True)

    def write(n: int) -> None:
        sources = HarvestSources(databases[n])
        jobs = JobStore(pg_settings, database=databases[n])
        for i in range(8):
            sources.add(f"s{n}-{i}", "dcat", URL)
            _job(jobs, f"s{n}-{i}", status=SUCCEEDED)
            sources.advance_cursor("cursor", f"2025-01-{n * 8 + i + 1:02d}T00:00:00")

    try:
        assert _threads(write, len(databases)) == []
    finally:
        for database in databases:
            database.close()
    with Database.open(pg_settings) as database:
        assert len(HarvestSources(database).list()) == 33
        assert len(JobStore(pg_settings, database=database).list(limit=100)) == 32
        assert HarvestSources(database).get("cursor").cursor == "2025-01-32T00:00:00"


def _claim_in_a_process(url: str, home: str, out: str) -> None:
    settings = get_settings(home=home, database_url=url, validation_batch_datasets=3)
    with Database.open(settings) as database:
        queue = ValidationQueue(settings, database)
        queue.waiting()  # connected: say so, then start when every process is
        Path(out + ".ready").touch()
        go = Path(home) / "go"
        deadline = time.monotonic() + 60
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        mine: list[str] = []
        while claimed := queue.claim(3):
            mine.extend(q.record for q in claimed)
            queue.finish([(q, DONE, None, None) for q in claimed])
    Path(out).write_text("\n".join(mine))


def test_processes_claiming_at_once_never_claim_one_record_twice(
    pg_settings: Settings, tmp_path: Path
) -> None:
    with Database.open(pg_settings) as database:
        queue = ValidationQueue(pg_settings, database)
        for job in range(4):
            queue.enqueue(f"j{job}", "src", [f"j{job}-r{i:03d}" for i in range(60)])
    spawn = multiprocessing.get_context("spawn")
    outs = [tmp_path / f"claimed-{n}.txt" for n in range(3)]
    workers = [
        spawn.Process(
            target=_claim_in_a_process, args=(pg_settings.database_url, str(tmp_path), str(out))
        )
        for out in outs
    ]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 60  # spawned interpreters start slowly on a loaded machine
    while not all(Path(f"{out}.ready").exists() for out in outs) and time.monotonic() < deadline:
        time.sleep(0.01)
    (tmp_path / "go").touch()  # all connected: they claim side by side from here
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    claimed = [line for out in outs for line in out.read_text().splitlines()]
    assert len(claimed) == 240 and len(set(claimed)) == 240  # every record, each once
    assert sum(1 for out in outs if out.read_text()) >= 2  # they did work side by side
    with Database.open(pg_settings) as database:
        queue = ValidationQueue(pg_settings, database)
        assert queue.waiting() == 0 and queue.count(DONE) == 240
