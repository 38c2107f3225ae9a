"""The per-source harvest lock on PostgreSQL excludes runs of other processes (and
machines), says so with the flock's message, and is freed when its holder is killed."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from catalog.db import Database, upgrade
from catalog.errors import Conflict
from catalog.harvest import Harvester, HarvestSources, JobStore
from catalog.harvest.files import SourceLock
from catalog.harvest.locks import AdvisorySourceLock, lock_key
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings


@pytest.fixture
def pg_settings(pg_url: str, tmp_path: Path) -> Settings:
    with Database.postgresql(pg_url) as fresh:
        upgrade(fresh)
    return get_settings(home=tmp_path / "home", database_url=pg_url)


def _hold(url: str, source: str, ready: str) -> None:
    database = Database.postgresql(url)
    AdvisorySourceLock(database, source).acquire()
    Path(ready).touch()
    time.sleep(120)


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert time.monotonic() < deadline, "the holder never took the lock"
        time.sleep(0.05)


def test_a_lock_held_by_another_process_refuses_and_is_freed_by_its_death(
    pg_settings: Settings, tmp_path: Path
) -> None:
    assert pg_settings.database_url is not None
    ready = tmp_path / "ready"
    spawn = multiprocessing.get_context("spawn")
    holder = spawn.Process(target=_hold, args=(pg_settings.database_url, "portal", str(ready)))
    holder.start()
    try:
        _wait_for(ready)
        with Database.open(pg_settings) as database:
            jobs = JobStore(pg_settings, database=database)
            lock = jobs.lock("portal")
            assert isinstance(lock, AdvisorySourceLock)
            assert lock.held_elsewhere()
            with pytest.raises(Conflict) as refused:
                lock.acquire()
            flock = SourceLock(tmp_path / "locks", "portal")
            with flock, pytest.raises(Conflict) as by_flock:
                SourceLock(tmp_path / "locks", "portal").acquire()
            assert refused.value.message == by_flock.value.message
            assert "already running" in refused.value.message
            with jobs.lock("other"):  # another source's lock is free
                pass
            HarvestSources(database).add("portal", "dcat", "https://portal.example.org/x.ttl")
            with Catalogue.open(pg_settings) as cat, pytest.raises(Conflict, match="already"):
                Harvester(cat, database=database).run("portal")  # a run elsewhere holds it

            assert holder.pid is not None
            os.kill(holder.pid, signal.SIGKILL)
            holder.join(30)
            deadline = time.monotonic() + 30  # the server ends the dead session
            while lock.held_elsewhere():
                assert time.monotonic() < deadline, "the killed holder's lock was never freed"
                time.sleep(0.1)
            with lock:
                assert AdvisorySourceLock(database, "portal").held_elsewhere()
            assert not lock.held_elsewhere()  # released on exit
    finally:
        if holder.is_alive():
            holder.kill()
            holder.join(30)


def test_one_process_holds_a_lock_once_and_keys_are_stable(pg_settings: Settings) -> None:
    with Database.open(pg_settings) as one, Database.open(pg_settings) as other:
        with AdvisorySourceLock(one, "demo"):
            with pytest.raises(Conflict, match="already running"):
                AdvisorySourceLock(other, "demo").acquire()
            assert AdvisorySourceLock(other, "demo").held_elsewhere()
        AdvisorySourceLock(other, "demo").acquire().release()
    # the same in every process and release (a 64-bit BLAKE2b of the name, not hash())
    assert lock_key("demo") == 8544505348215301383 != lock_key("demo2")


def test_the_embedded_database_keeps_the_file_lock(tmp_path: Path) -> None:
    settings = get_settings(home=tmp_path)
    with Database.open(settings) as database:
        lock = JobStore(settings, database=database).lock("demo")
    assert isinstance(lock, SourceLock)
    assert lock.path == tmp_path / "harvest" / "locks" / "demo.lock"
