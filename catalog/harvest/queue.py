"""The durable queue of SHACL validations: ``<home>/harvest/validation.sqlite``.

A harvest queues its new and changed records (one row each) *before* it publishes, so a
process killed at any later point leaves them queued. Whoever drains the queue (see
:mod:`catalog.harvest.validate`) claims a batch of rows, validates them and writes each
record's outcome back. A claim names its process and thread (``host:pid:thread``); a
claim of a process that has died on this host, or older than the lease, is taken over by
the next drainer, so a run killed during validation is finished by the next one.

The queue is also where a job's validation progress is read from (``waiting``, ``done``,
``nonconforming``, per-record reports), so the job's own file is never written by two
processes at once.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.harvest.sources import harvest_dir
from catalog.settings import Settings

#: Row states: queued; validated; not validatable (never published, not stored); past the
#: per-dataset deadline (see catalog.validation_runs).
WAITING, DONE, SKIPPED, UNFINISHED = "waiting", "done", "skipped", "unfinished"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS validation (
    job TEXT NOT NULL,
    source TEXT NOT NULL,
    record TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting',
    findings TEXT,
    note TEXT,
    claimed_by TEXT,
    claimed_at REAL,
    queued_at REAL NOT NULL,
    PRIMARY KEY (job, record)
);
CREATE INDEX IF NOT EXISTS validation_waiting ON validation (state, job);
"""


@dataclass(frozen=True)
class Queued:
    """One record waiting for validation."""

    job: str
    source: str
    record: str


def claimant() -> str:
    """This thread of this process, as a claim names it (``host:pid:thread``)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _dead(owner: str | None) -> bool:
    """Whether the process named by a claim has gone (only decidable on this host)."""
    if not owner:
        return True
    host, pid = [*owner.split(":"), "", ""][:2]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class ValidationQueue:
    """The queue of one catalogue home; safe across threads and processes (SQLite, WAL)."""

    def __init__(self, settings: Settings) -> None:
        self.path: Path = harvest_dir(settings) / "validation.sqlite"
        s = settings
        #: A claim older than this is taken over even if its process may live elsewhere.
        self.lease_s = s.validation_timeout_s * (s.validation_batch_datasets + 2) + 60

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            yield db

    def exists(self) -> bool:
        return self.path.is_file()

    def enqueue(self, job: str, source: str, records: list[str]) -> None:
        """Queue ``records`` of ``job`` (durably, in one transaction)."""
        now = time.time()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT OR IGNORE INTO validation (job, source, record, queued_at) "
                "VALUES (?, ?, ?, ?)",
                [(job, source, r, now) for r in records],
            )
            db.execute("COMMIT")

    def claim(
        self, limit: int, *, job: str | None = None, skip: set[str] | None = None
    ) -> list[Queued]:
        """Claim up to ``limit`` waiting records (of one job, the oldest first), taking over
        claims of dead processes and expired leases."""
        me, now = claimant(), time.time()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            rows = db.execute(
                "SELECT job, source, record, claimed_by, claimed_at FROM validation "
                "WHERE state = 'waiting' AND (? IS NULL OR job = ?) ORDER BY queued_at, job",
                (job, job),
            ).fetchall()
            chosen: list[Queued] = []
            for j, source, record, owner, at in rows:
                if (skip and j in skip) or (chosen and j != chosen[0].job):
                    continue
                free = owner is None or owner == me or _dead(owner) or now - at > self.lease_s
                if free:
                    chosen.append(Queued(j, source, record))
                    if len(chosen) >= limit:
                        break
            db.executemany(
                "UPDATE validation SET claimed_by = ?, claimed_at = ? WHERE job = ? AND record = ?",
                [(me, now, q.job, q.record) for q in chosen],
            )
            db.execute("COMMIT")
        return chosen

    def finish(self, outcomes: list[tuple[Queued, str, list[str] | None, str | None]]) -> None:
        """Record ``(queued, state, findings, note)`` for each record, in one transaction."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "UPDATE validation SET state = ?, findings = ?, note = ?, claimed_by = NULL "
                "WHERE job = ? AND record = ?",
                [
                    (state, json.dumps(findings) if findings else None, note, q.job, q.record)
                    for q, state, findings, note in outcomes
                ],
            )
            db.execute("COMMIT")

    def release(self, claimed: list[Queued]) -> None:
        """Give claimed records back (their job cannot be validated yet)."""
        with self._db() as db:
            db.executemany(
                "UPDATE validation SET claimed_by = NULL WHERE job = ? AND record = ?",
                [(q.job, q.record) for q in claimed],
            )

    def forget(self, job: str) -> None:
        """Drop a job's records (its run failed before publishing). Best effort: rows left
        behind are skipped by the next drainer, who finds the job never published."""
        if not self.exists():
            return
        try:
            with self._db() as db:
                db.execute("DELETE FROM validation WHERE job = ?", (job,))
        except sqlite3.Error:
            pass

    def waiting(self, job: str | None = None) -> int:
        if not self.exists():
            return 0
        with self._db() as db:
            row = db.execute(
                "SELECT COUNT(*) FROM validation "
                "WHERE state = 'waiting' AND (? IS NULL OR job = ?)",
                (job, job),
            ).fetchone()
        return int(row[0])

    def progress(self, job: str) -> dict[str, Any] | None:
        """A job's validation as its ``validation`` field shows it (None: nothing queued)."""
        if not self.exists():
            return None
        with self._db() as db:
            rows = db.execute(
                "SELECT record, state, findings, note FROM validation WHERE job = ?", (job,)
            ).fetchall()
        if not rows:
            return None
        out: dict[str, Any] = {"waiting": 0, "done": 0, "nonconforming": 0, "reports": {}}
        for record, state, findings, note in rows:
            out[state] = out.get(state, 0) + 1
            if findings:
                out["nonconforming"] += 1
                out["reports"][record] = json.loads(findings)
            if note:
                out.setdefault("notes", {})[record] = note
        return out
