"""The lock that serialises the writes of one source, across threads, processes and machines.

Every write of a source's graph (a load, a delete, a steward edit, a lab edit) happens under
:meth:`catalog.service.Catalogue.source_lock`. Publishing is a compare-and-set already
(:mod:`catalog.graphs`), so two writers can never empty a source; the lock makes them wait
for each other instead of one of them failing, and keeps an in-place edit from landing in a
version another writer is copying.

- Within a process: a :class:`threading.Lock` per source.
- Between processes: on PostgreSQL a session-level advisory lock (``pg_advisory_lock`` on a
  64-bit hash of the source, under a key namespace of its own so it never meets the harvest
  lock of :mod:`catalog.harvest.locks`, which a harvest holds while it publishes), held on a
  connection of its own; on the embedded database an ``flock`` on
  ``<home>/locks/write-<source>.lock``. Either is released by its holder dying.

A writer waits at most ``source_write_lock_wait_s`` for the lock, then gets
:class:`SourceBusy` (409) naming the source.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from pathlib import Path
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from catalog.db import Database
from catalog.errors import Conflict, DatabaseUnavailable

_NAMESPACE = "datalab.write.source:"
#: How often a waiter for a file lock tries again.
_POLL_S = 0.05


class SourceBusy(Conflict):
    code = "source_busy"


def write_key(source: str) -> int:
    """A stable, signed 64-bit advisory lock key of ``source`` (PostgreSQL's ``bigint``)."""
    digest = hashlib.blake2b((_NAMESPACE + source).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _busy(source: str, wait_s: float) -> SourceBusy:
    return SourceBusy(
        f"source {source!r} is being written by another process for more than {wait_s:g} s; "
        "try again later",
        where=source,
    )


class SourceWriteLock:
    """The write lock of one source (a context manager; not reentrant)."""

    def __init__(
        self,
        source: str,
        thread_lock: threading.Lock,
        *,
        database: Database,
        folder: Path,
        wait_s: float,
    ) -> None:
        self.source = source
        self.wait_s = wait_s
        self._thread_lock = thread_lock
        self._database = database
        self._folder = folder
        self._conn: Connection | None = None
        self._fd: int | None = None

    def __enter__(self) -> SourceWriteLock:
        deadline = time.monotonic() + self.wait_s
        if not self._thread_lock.acquire(timeout=self.wait_s):
            raise _busy(self.source, self.wait_s)
        try:
            if self._database.dialect == "postgresql":
                self._conn = self._advisory(deadline)
            else:
                self._fd = self._flock(deadline)
        except BaseException:
            self._thread_lock.release()
            raise
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self._release_shared()
        finally:
            self._thread_lock.release()

    def _advisory(self, deadline: float) -> Connection:
        key = write_key(self.source)
        try:
            conn = self._database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as exc:
            raise DatabaseUnavailable(
                f"the database {self._database.url} failed: {exc.orig}", where="database"
            ) from exc
        wait_ms = max(1, int((deadline - time.monotonic()) * 1000))
        try:
            conn.execute(sa.text(f"SET lock_timeout = {wait_ms}"))
            conn.execute(sa.select(sa.func.pg_advisory_lock(key)))
            conn.execute(sa.text("SET lock_timeout = 0"))
        except OperationalError as exc:
            conn.invalidate()
            conn.close()
            if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                raise _busy(self.source, self.wait_s) from None
            raise DatabaseUnavailable(
                f"the database {self._database.url} failed: {exc.orig}", where="database"
            ) from exc
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        return conn

    def _flock(self, deadline: float) -> int:
        self._folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._folder / f"write-{self.source}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise _busy(self.source, self.wait_s) from None
                time.sleep(_POLL_S)

    def _release_shared(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(write_key(self.source))))
            except DBAPIError:
                conn.invalidate()  # the session is gone, and its lock with it
            finally:
                conn.close()
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
