"""The per-source harvest lock, on whichever machine the run is.

On the embedded database every process is on one machine: the lock is an ``flock`` on
``<home>/harvest/locks/<source>.lock`` (:class:`catalog.harvest.files.SourceLock`). On
PostgreSQL, runs on several machines share the database: the lock is a session-level
advisory lock (:class:`AdvisorySourceLock`) on a stable 64-bit hash of the source's name,
held on a connection of its own for the run's duration. Both are released by whoever
holds them dying (the kernel closes the file; the server ends the session of a dead
connection), so a killed run never blocks the next one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import TracebackType
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from catalog.db import Database
from catalog.errors import DatabaseUnavailable
from catalog.harvest.files import SourceLock, busy

#: What the advisory lock keys are derived from, so they do not clash with other users'.
_NAMESPACE = "datalab.harvest.source:"


class HarvestLock(Protocol):
    """What a run and a reader of jobs need of a source lock."""

    source: str

    def acquire(self) -> HarvestLock: ...
    def held_elsewhere(self) -> bool: ...
    def release(self) -> None: ...
    def __enter__(self) -> HarvestLock: ...
    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None: ...


def lock_key(source: str) -> int:
    """A stable, signed 64-bit key of ``source`` (PostgreSQL's ``bigint``)."""
    digest = hashlib.blake2b((_NAMESPACE + source).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def source_lock(database: Database, folder: Path, source: str) -> HarvestLock:
    """The lock of ``source``: advisory on PostgreSQL, an ``flock`` in ``folder`` else."""
    if database.dialect == "postgresql":
        return AdvisorySourceLock(database, source)
    return SourceLock(folder, source)


class AdvisorySourceLock:
    """An exclusive, non-blocking PostgreSQL advisory lock on one source.

    It is held by a database session: :meth:`acquire` opens a connection of its own (in
    autocommit, so it never sits idle in a transaction) and keeps it until :meth:`release`.
    """

    def __init__(self, database: Database, source: str) -> None:
        self.database = database
        self.source = source
        self.key = lock_key(source)
        self._conn: Connection | None = None

    def acquire(self) -> AdvisorySourceLock:
        conn = self._connect()
        try:
            got = self._try(conn)
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        if not got:
            conn.close()
            raise busy(self.source)
        self._conn = conn
        return self

    def held_elsewhere(self) -> bool:
        """Whether another session holds the lock right now (taken and let go at once when
        it is free)."""
        conn = self._connect()
        try:
            got = self._try(conn)
            if got:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(self.key)))
        except BaseException:
            conn.invalidate()
            raise
        finally:
            conn.close()
        return not got

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(sa.select(sa.func.pg_advisory_unlock(self.key)))
        except DBAPIError:
            conn.invalidate()  # the session is gone, and its lock with it
        finally:
            conn.close()

    def _connect(self) -> Connection:
        try:
            conn = self.database.engine.connect()
        except DBAPIError as exc:
            raise DatabaseUnavailable(
                f"the database {self.database.url} failed: {exc.orig}", where="database"
            ) from exc
        return conn.execution_options(isolation_level="AUTOCOMMIT")

    def _try(self, conn: Connection) -> bool:
        try:
            got = conn.execute(sa.select(sa.func.pg_try_advisory_lock(self.key))).scalar_one()
        except DBAPIError as exc:
            raise DatabaseUnavailable(
                f"the database {self.database.url} failed: {exc.orig}", where="database"
            ) from exc
        return bool(got)

    def __enter__(self) -> AdvisorySourceLock:
        return self.acquire()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
