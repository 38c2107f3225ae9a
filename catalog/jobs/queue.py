"""A durable job queue in the operational database (table ``jobs_queue``), both dialects.

A job is ``queued`` until a worker claims it, then ``running`` under a *lease*
(``lease_owner``, ``lease_until``) that the worker renews while it works
(:meth:`JobQueue.heartbeat`). It ends ``done`` (:meth:`JobQueue.complete`) or, after
``max_attempts`` failed attempts, ``failed`` with the last error (:meth:`JobQueue.fail`);
before that each failure puts it back in the queue after a growing delay. A worker that
dies leaves its lease to expire: the job is then claimable again, by any worker, and the
attempt it was on counts.

Claiming is one transaction: on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` picks a row
no other claimer holds, on SQLite the whole transaction holds the write lock
(``BEGIN IMMEDIATE``); either way two workers never get the same job.

A job may carry a ``dedupe_key`` (``harvest:<source>``): while one job of that key is
queued or running, enqueueing another returns the active one instead (a unique index over
the active jobs' keys makes that hold under concurrent enqueuers too).
"""

from __future__ import annotations

import builtins
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from catalog.db import Database
from catalog.db.schema import ACTIVE_JOB, jobs_queue
from catalog.errors import InvalidInput, NotFound

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: Delay before the first retry; doubled at each later one, up to :data:`BACKOFF_MAX_S`.
BACKOFF_S = 30.0
BACKOFF_MAX_S = 3600.0

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their zone; they are always UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class JobNotFound(NotFound):
    """No queued job has that id."""

    code = "job_not_found"


@dataclass(frozen=True)
class QueuedJob:
    """One row of the queue."""

    id: int
    kind: str
    payload: dict[str, Any]
    state: str
    attempts: int
    max_attempts: int
    run_after: datetime
    created: datetime
    lease_owner: str | None = None
    lease_until: datetime | None = None
    finished: datetime | None = None
    error: str | None = None
    dedupe_key: str | None = None
    result: dict[str, Any] | None = None

    @classmethod
    def from_row(cls, row: sa.Row[Any]) -> QueuedJob:
        m = row._mapping
        return cls(
            id=int(m["id"]),
            kind=m["kind"],
            payload=json.loads(m["payload"]),
            state=m["state"],
            attempts=int(m["attempts"]),
            max_attempts=int(m["max_attempts"]),
            run_after=_aware(m["run_after"]) or utc_now(),
            created=_aware(m["created"]) or utc_now(),
            lease_owner=m["lease_owner"],
            lease_until=_aware(m["lease_until"]),
            finished=_aware(m["finished"]),
            error=m["error"],
            dedupe_key=m["dedupe_key"],
            result=json.loads(m["result"]) if m["result"] else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The job as the API and ``datalab worker`` show it (timestamps in ISO 8601)."""

        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat(timespec="seconds")

        return {
            "id": self.id,
            "kind": self.kind,
            "payload": self.payload,
            "state": self.state,
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "run_after": iso(self.run_after),
            "created": iso(self.created),
            "lease_owner": self.lease_owner,
            "lease_until": iso(self.lease_until),
            "finished": iso(self.finished),
            "error": self.error,
            "result": self.result,
        }


class JobQueue:
    """The queue in ``database``; ``clock`` (UTC now) and ``backoff_s`` are for tests."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Clock = utc_now,
        backoff_s: float = BACKOFF_S,
    ) -> None:
        self.database = database
        self.clock = clock
        self.backoff_s = backoff_s

    # -- adding ------------------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        run_after: datetime | None = None,
        max_attempts: int = 3,
        dedupe_key: str | None = None,
        conn: Connection | None = None,
    ) -> tuple[QueuedJob, bool]:
        """Queue a job; returns it and True, or, when a job of ``dedupe_key`` is already
        queued or running, that job and False. ``conn``: inside a caller's transaction."""
        if not kind or max_attempts < 1:
            raise InvalidInput("a job needs a kind and at least one attempt", where="kind")
        if conn is None:
            with self.database.transaction() as own:
                return self._enqueue(own, kind, payload, run_after, max_attempts, dedupe_key)
        return self._enqueue(conn, kind, payload, run_after, max_attempts, dedupe_key)

    def _enqueue(
        self,
        conn: Connection,
        kind: str,
        payload: dict[str, Any],
        run_after: datetime | None,
        max_attempts: int,
        dedupe_key: str | None,
    ) -> tuple[QueuedJob, bool]:
        now = self.clock()
        values = {
            "kind": kind,
            "payload": json.dumps(payload, sort_keys=True),
            "state": QUEUED,
            "attempts": 0,
            "max_attempts": max_attempts,
            "run_after": run_after or now,
            "created": now,
            "dedupe_key": dedupe_key,
        }
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(
            jobs_queue
        ).values(**values)
        if dedupe_key is not None:  # concurrent enqueuers: one insert wins, the rest do nothing
            insert = insert.on_conflict_do_nothing(
                index_elements=[jobs_queue.c.dedupe_key], index_where=ACTIVE_JOB
            )
        new_id = conn.execute(insert.returning(jobs_queue.c.id)).scalar()
        if new_id is not None:
            return self._get(conn, int(new_id)), True
        row = conn.execute(
            sa.select(jobs_queue).where(
                jobs_queue.c.dedupe_key == dedupe_key, jobs_queue.c.state.in_((QUEUED, RUNNING))
            )
        ).first()
        if row is None:  # pragma: no cover  (the conflicting job ended in between: add again)
            return self._enqueue(conn, kind, payload, run_after, max_attempts, dedupe_key)
        return QueuedJob.from_row(row), False

    # -- working -----------------------------------------------------------------------------

    def claim(self, worker_id: str, kinds: Iterable[str], lease_s: float) -> QueuedJob | None:
        """The oldest due job of ``kinds`` (queued and due, or running with an expired
        lease), now running under ``worker_id``'s lease; None when nothing is due.

        A job whose lease expired on its last attempt is marked failed instead."""
        kinds = list(kinds)
        with self.database.transaction() as conn:
            while True:
                now = self.clock()
                due = sa.or_(
                    sa.and_(jobs_queue.c.state == QUEUED, jobs_queue.c.run_after <= now),
                    sa.and_(jobs_queue.c.state == RUNNING, jobs_queue.c.lease_until < now),
                )
                row = conn.execute(
                    sa.select(jobs_queue)
                    .where(jobs_queue.c.kind.in_(kinds), due)
                    .order_by(jobs_queue.c.run_after, jobs_queue.c.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)  # SQLite: BEGIN IMMEDIATE serialises
                ).first()
                if row is None:
                    return None
                job = QueuedJob.from_row(row)
                if job.state == RUNNING and job.attempts >= job.max_attempts:
                    error = (
                        f"its worker {job.lease_owner} stopped answering (the lease expired) "
                        f"on attempt {job.attempts} of {job.max_attempts}"
                    )
                    conn.execute(self._end(job.id, FAILED, now, error))
                    continue
                conn.execute(
                    jobs_queue.update()
                    .where(jobs_queue.c.id == job.id)
                    .values(
                        state=RUNNING,
                        attempts=jobs_queue.c.attempts + 1,
                        lease_owner=worker_id,
                        lease_until=now + timedelta(seconds=lease_s),
                    )
                )
                return self._get(conn, job.id)

    def heartbeat(self, job_id: int, worker_id: str, lease_s: float) -> bool:
        """Extend the lease; False when ``worker_id`` no longer holds the job (it expired
        and another worker took it over, or it ended)."""
        with self.database.transaction() as conn:
            done = conn.execute(
                self._owned(job_id, worker_id).values(
                    lease_until=self.clock() + timedelta(seconds=lease_s)
                )
            )
        return done.rowcount == 1

    def update_result(self, job_id: int, worker_id: str, result: dict[str, Any]) -> bool:
        """Record what the job has produced so far (e.g. the harvest job it started)."""
        with self.database.transaction() as conn:
            done = conn.execute(
                self._owned(job_id, worker_id).values(result=json.dumps(result, sort_keys=True))
            )
        return done.rowcount == 1

    def complete(self, job_id: int, worker_id: str, result: dict[str, Any] | None = None) -> bool:
        """Mark the job done; False when ``worker_id`` no longer held it."""
        values: dict[str, Any] = {
            "state": DONE,
            "finished": self.clock(),
            "lease_owner": None,
            "lease_until": None,
            "error": None,
        }
        if result is not None:
            values["result"] = json.dumps(result, sort_keys=True)
        with self.database.transaction() as conn:
            done = conn.execute(self._owned(job_id, worker_id).values(**values))
        return done.rowcount == 1

    def fail(self, job_id: int, worker_id: str, error: str, *, retry: bool = True) -> QueuedJob:
        """Record a failed attempt: queued again after the backoff while attempts remain
        (and ``retry``), else failed with ``error``. Returns the job as it now is."""
        with self.database.transaction() as conn:
            job = self._get(conn, job_id, lock=True)
            if job.state != RUNNING or job.lease_owner != worker_id:
                return job  # taken over or ended meanwhile: the other worker decides
            now = self.clock()
            if retry and job.attempts < job.max_attempts:
                conn.execute(
                    jobs_queue.update()
                    .where(jobs_queue.c.id == job_id)
                    .values(
                        state=QUEUED,
                        run_after=now + timedelta(seconds=self.backoff(job.attempts)),
                        lease_owner=None,
                        lease_until=None,
                        error=error,
                    )
                )
            else:
                conn.execute(self._end(job_id, FAILED, now, error))
            return self._get(conn, job_id)

    def release(self, job_id: int, worker_id: str, *, delay_s: float = 0.0) -> bool:
        """Hand a claimed job back untried (the worker is stopping, or cannot run it now):
        queued again after ``delay_s``, the attempt not counted."""
        with self.database.transaction() as conn:
            done = conn.execute(
                self._owned(job_id, worker_id).values(
                    state=QUEUED,
                    attempts=jobs_queue.c.attempts - 1,
                    run_after=self.clock() + timedelta(seconds=delay_s),
                    lease_owner=None,
                    lease_until=None,
                )
            )
        return done.rowcount == 1

    def backoff(self, attempts: int) -> float:
        """Seconds before retrying a job that has failed ``attempts`` times."""
        return float(min(BACKOFF_MAX_S, self.backoff_s * math.pow(2, max(0, attempts - 1))))

    # -- reading -----------------------------------------------------------------------------

    def get(self, job_id: int) -> QueuedJob:
        """The job ``job_id``; :class:`JobNotFound` when there is none."""
        with self.database.read() as conn:
            return self._get(conn, job_id)

    def list(self, *, state: str | None = None, limit: int = 100) -> builtins.list[QueuedJob]:
        """Jobs, newest first (of one ``state`` when given)."""
        query = sa.select(jobs_queue).order_by(jobs_queue.c.id.desc()).limit(limit)
        if state is not None:
            query = query.where(jobs_queue.c.state == state)
        with self.database.read() as conn:
            return [QueuedJob.from_row(r) for r in conn.execute(query)]

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _get(conn: Connection, job_id: int, *, lock: bool = False) -> QueuedJob:
        query = sa.select(jobs_queue).where(jobs_queue.c.id == job_id)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise JobNotFound(f"no queued job {job_id}", where="id")
        return QueuedJob.from_row(row)

    @staticmethod
    def _owned(job_id: int, worker_id: str) -> sa.Update:
        return jobs_queue.update().where(
            jobs_queue.c.id == job_id,
            jobs_queue.c.state == RUNNING,
            jobs_queue.c.lease_owner == worker_id,
        )

    @staticmethod
    def _end(job_id: int, state: str, now: datetime, error: str | None) -> sa.Update:
        return (
            jobs_queue.update()
            .where(jobs_queue.c.id == job_id)
            .values(state=state, finished=now, lease_owner=None, lease_until=None, error=error)
        )
