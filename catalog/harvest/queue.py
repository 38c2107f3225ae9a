"""The durable queue of SHACL validations: table ``harvest_validation`` of the operational
database (:mod:`catalog.db`; before it, ``<home>/harvest/validation.sqlite``, imported once).

A harvest queues its new and changed records (one row each) *before* it publishes, so a
process killed at any later point leaves them queued. Whoever drains the queue (see
:mod:`catalog.harvest.validate`) claims a batch of rows, validates them and writes each
record's outcome back. A claim names its process and thread (``host:pid:thread``); a
claim of a process that has died on this host, or older than the lease, is taken over by
the next drainer, so a run killed during validation is finished by the next one. A record
is claimed by one drainer at a time, on any machine: the claim locks the rows it takes
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write lock serialises claims).

The queue is also where a job's validation progress is read from (``waiting``, ``done``,
``nonconforming``, per-record reports), so the job itself is never written by two
processes at once.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from catalog.db import Database
from catalog.db.legacy_harvest import import_legacy_queue
from catalog.db.schema import harvest_validation as table
from catalog.errors import DatalabError
from catalog.harvest.sources import HARVEST
from catalog.harvest.state import database_of, insert
from catalog.settings import Settings

#: Row states: queued; validated; not validatable (never published, not stored); past the
#: per-dataset deadline (see catalog.validation_runs).
WAITING, DONE, SKIPPED, UNFINISHED = "waiting", "done", "skipped", "unfinished"
#: How many times a claim looks again when every record it chose was taken meanwhile.
_CLAIM_TRIES = 5
_KEY = (table.c.job, table.c.record)


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
    """The queue of one catalogue; safe across threads, processes and machines.

    ``ValidationQueue(settings)`` opens the database the settings name;
    ``ValidationQueue(settings, database)`` uses an open one (the lease comes from the
    settings either way).
    """

    def __init__(self, settings: Settings, database: Database | None = None) -> None:
        self.database = database_of(database or settings)
        s = settings
        #: A claim older than this is taken over even if its process may live elsewhere.
        self.lease_s = s.validation_timeout_s * (s.validation_batch_datasets + 2) + 60
        if self.database.home is not None:
            import_legacy_queue(self.database, self.database.home / HARVEST)

    def exists(self) -> bool:
        """Always: the queue is a table of the operational database."""
        return True

    def enqueue(self, job: str, source: str, records: list[str]) -> None:
        """Queue ``records`` of ``job`` (durably, in one transaction)."""
        if not records:
            return
        now = time.time()
        rows = [
            {"job": job, "source": source, "record": r, "state": WAITING, "queued_at": now}
            for r in dict.fromkeys(records)
        ]
        query = insert(self.database, table).on_conflict_do_nothing(index_elements=list(_KEY))
        with self.database.transaction() as db:
            db.execute(query, rows)

    def claim(
        self, limit: int, *, job: str | None = None, skip: set[str] | None = None
    ) -> list[Queued]:
        """Claim up to ``limit`` waiting records (of one job, the oldest first), taking over
        claims of dead processes and expired leases."""
        me = claimant()
        for _ in range(_CLAIM_TRIES):
            with self.database.transaction() as db:
                now = time.time()
                chosen = self._free(db, me, now, limit, job, skip or set())
                if not chosen:
                    return []
                taken = self._lock(db, chosen)
                if taken:
                    db.execute(
                        table.update()
                        .where(table.c.job == taken[0].job)
                        .where(table.c.record.in_([q.record for q in taken]))
                        .values(claimed_by=me, claimed_at=now)
                    )
                    return taken
        return []  # others took every free record each time: nothing left for this one

    def _free(
        self,
        db: sa.Connection,
        me: str,
        now: float,
        limit: int,
        job: str | None,
        skip: set[str],
    ) -> dict[Queued, tuple[str | None, float | None]]:
        """Up to ``limit`` records of one job that this claimant may take, with the claim
        each had when read."""
        may_be_free = sa.or_(
            table.c.claimed_by.is_(None),
            table.c.claimed_by == me,
            table.c.claimed_at < now - self.lease_s,
            table.c.claimed_by.startswith(f"{socket.gethostname()}:", autoescape=True),
        )
        query = (
            sa.select(table.c.job, table.c.source, table.c.record, table.c.claimed_by)
            .add_columns(table.c.claimed_at)
            .where(table.c.state == WAITING, may_be_free)
            .order_by(table.c.queued_at, table.c.job, table.c.record)
        )
        if job is not None:
            query = query.where(table.c.job == job)
        if skip:
            query = query.where(table.c.job.not_in(sorted(skip)))
        chosen: dict[Queued, tuple[str | None, float | None]] = {}
        for j, source, record, owner, at in db.execute(query):
            if chosen and j != next(iter(chosen)).job:
                continue
            if owner is None or owner == me or _dead(owner) or now - at > self.lease_s:
                chosen[Queued(j, source, record)] = (owner, at)
                if len(chosen) >= limit:
                    break
        return chosen

    def _lock(
        self, db: sa.Connection, chosen: dict[Queued, tuple[str | None, float | None]]
    ) -> list[Queued]:
        """Lock the chosen rows, skipping those another claim holds locked, and keep those
        whose claim is still the one read (another claim may have committed since)."""
        first = next(iter(chosen))
        by_record = {q.record: q for q in chosen}
        query = (
            sa.select(table.c.record, table.c.state, table.c.claimed_by, table.c.claimed_at)
            .where(table.c.job == first.job, table.c.record.in_(list(by_record)))
            .with_for_update(skip_locked=True)
        )
        taken = []
        for record, state, owner, at in db.execute(query):
            q = by_record[record]
            if state == WAITING and (owner, at) == chosen[q]:
                taken.append(q)
        order = list(by_record)
        return sorted(taken, key=lambda q: order.index(q.record))

    def finish(self, outcomes: list[tuple[Queued, str, list[str] | None, str | None]]) -> None:
        """Record ``(queued, state, findings, note)`` for each record, in one transaction."""
        if not outcomes:
            return
        query = (
            table.update()
            .where(table.c.job == sa.bindparam("k_job"), table.c.record == sa.bindparam("k_rec"))
            .values(
                state=sa.bindparam("v_state"),
                findings=sa.bindparam("v_findings"),
                note=sa.bindparam("v_note"),
                claimed_by=None,
            )
        )
        rows = [
            {
                "k_job": q.job,
                "k_rec": q.record,
                "v_state": state,
                "v_findings": json.dumps(findings) if findings else None,
                "v_note": note,
            }
            for q, state, findings, note in outcomes
        ]
        with self.database.transaction() as db:
            db.execute(query, rows)

    def release(self, claimed: list[Queued]) -> None:
        """Give claimed records back (their job cannot be validated yet)."""
        if not claimed:
            return
        query = (
            table.update()
            .where(table.c.job == sa.bindparam("k_job"), table.c.record == sa.bindparam("k_rec"))
            .values(claimed_by=None)
        )
        with self.database.transaction() as db:
            db.execute(query, [{"k_job": q.job, "k_rec": q.record} for q in claimed])

    def forget(self, job: str) -> None:
        """Drop a job's records (its run failed before publishing). Best effort: rows left
        behind are skipped by the next drainer, who finds the job never published."""
        try:
            with self.database.transaction() as db:
                db.execute(table.delete().where(table.c.job == job))
        except (DatalabError, sa.exc.SQLAlchemyError):
            pass

    def waiting(self, job: str | None = None) -> int:
        return self.count(WAITING, job)

    def count(self, state: str, job: str | None = None) -> int:
        """How many records (of ``job``, or of every job) are in ``state``."""
        query = sa.select(sa.func.count()).select_from(table).where(table.c.state == state)
        if job is not None:
            query = query.where(table.c.job == job)
        with self.database.read() as db:
            return int(db.execute(query).scalar_one())

    def progress(self, job: str) -> dict[str, Any] | None:
        """A job's validation as its ``validation`` field shows it (None: nothing queued)."""
        query = sa.select(table.c.record, table.c.state, table.c.findings, table.c.note).where(
            table.c.job == job
        )
        with self.database.read() as db:
            rows = db.execute(query).all()
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
