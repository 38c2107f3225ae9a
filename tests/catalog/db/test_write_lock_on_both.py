"""Writes of one source wait for each other across processes (a lock in the shared database
on PostgreSQL, an ``flock`` beside the embedded one), give up with 409 ``source_busy`` after
``source_write_lock_wait_s``, and are freed by the holder's death."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from catalog.db import Database
from catalog.errors import Conflict
from catalog.harvest.locks import source_lock as harvest_lock
from catalog.service import Catalogue
from catalog.settings import Settings
from catalog.write_lock import SourceBusy, SourceWriteLock

DOC = b"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://example.org/ds/%d> a dcat:Dataset ; dct:title "Dataset %d"@en ."""


def _hold(settings: Settings, source: str, ready: str, seconds: float) -> None:
    with Database.open(settings) as database:
        lock = SourceWriteLock(
            source,
            threading.Lock(),
            database=database,
            folder=settings.home / "locks",
            wait_s=5,
        )
        with lock:
            Path(ready).write_text(repr(time.time()))  # when it took the lock
            time.sleep(seconds)


def _holder(settings: Settings, tmp_path: Path, seconds: float) -> multiprocessing.Process:
    ready = tmp_path / "ready"
    process = multiprocessing.get_context("spawn").Process(
        target=_hold, args=(settings, "portal", str(ready), seconds)
    )
    process.start()
    deadline = time.monotonic() + 60
    while not ready.exists() or not ready.read_text():
        assert process.is_alive(), "the holder died before taking the lock"
        assert time.monotonic() < deadline, "the holder never took the lock"
        time.sleep(0.05)
    return process


def _load(catalogue: Catalogue, n: int) -> None:
    catalogue.load(DOC % (n, n), fmt="turtle", source="portal", replace=True)


def test_a_writer_of_another_process_makes_a_load_wait_then_refuse_by_name(
    database: Database, db_settings: Settings, tmp_path: Path
) -> None:
    settings = db_settings.model_copy(update={"source_write_lock_wait_s": 0.5})
    holder = _holder(settings, tmp_path, 120)
    try:
        with Catalogue.open(settings) as catalogue:
            started = time.monotonic()
            with pytest.raises(SourceBusy) as refused:
                _load(catalogue, 1)
            assert time.monotonic() - started >= 0.5
            assert isinstance(refused.value, Conflict) and refused.value.status == 409
            assert refused.value.where == "portal" and "portal" in refused.value.message
            assert catalogue.graphs.current("portal") is None  # nothing was written
            # Another source is not held up.
            catalogue.load(DOC % (2, 2), fmt="turtle", source="other", replace=True)

            assert holder.pid is not None
            os.kill(holder.pid, signal.SIGKILL)  # the holder's death frees the lock
            holder.join(30)
            _load(catalogue, 3)
            assert [d.iri for d in catalogue.datasets(source="portal").items] == [
                "https://example.org/ds/3"
            ]
    finally:
        if holder.is_alive():
            holder.kill()
        holder.join(30)


def test_a_load_waits_for_the_other_process_to_finish(
    database: Database, db_settings: Settings, tmp_path: Path
) -> None:
    holder = _holder(db_settings, tmp_path, 1.5)
    try:
        taken = float((tmp_path / "ready").read_text())
        with Catalogue.open(db_settings) as catalogue:
            _load(catalogue, 4)
            # it waited for the holder's release rather than failed (timed from when the
            # holder took the lock: opening the catalogue may take a while on a busy machine)
            assert time.time() >= taken + 1.5
            assert catalogue.graphs.current("portal") is not None
    finally:
        holder.join(30)


def test_a_harvest_holding_its_run_lock_can_still_publish(
    database: Database, db_settings: Settings
) -> None:
    """The harvest lock (held for a whole run) and the write lock are different locks."""
    with Catalogue.open(db_settings) as catalogue:
        with harvest_lock(catalogue.database, db_settings.home / "harvest" / "locks", "portal"):
            _load(catalogue, 5)
        assert catalogue.graphs.current("portal") is not None
