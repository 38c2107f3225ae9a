"""The operational database: an embedded SQLite file by default, PostgreSQL when configured.

:meth:`Database.open` reads ``Settings.database_url``. Unset, the catalogue keeps its state in
``<home>/datalab.sqlite3`` (WAL, a busy timeout, foreign keys on), created and migrated to the
newest schema on open, so the embedded default needs no command. Set to a ``postgresql://``
URL, the catalogue connects through psycopg 3 and refuses to start on a database whose schema
is behind the code: ``datalab db upgrade`` migrates it (see :mod:`catalog.db.migrate`).

A URL is only ever shown with its password masked (:func:`mask_url`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError
from sqlalchemy.pool import NullPool

from catalog.db import migrate
from catalog.errors import ConfigurationError, DatabaseUnavailable, QueryTimeout
from catalog.settings import Settings

#: The embedded database's file name in the catalogue's folder.
EMBEDDED_FILE = "datalab.sqlite3"

#: Execution option asking the SQLite ``begin`` hook for a write lock up front.
_WRITE = "datalab_write"

_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def embedded_path(home: Path) -> Path:
    """The embedded SQLite database of the catalogue in ``home``."""
    return home / EMBEDDED_FILE


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (also when the URL does not parse)."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def postgresql_url(url: str) -> sa.URL:
    """The SQLAlchemy URL of a ``postgresql://`` URL, with the psycopg 3 driver."""
    try:
        parsed = sa.make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"DATALAB_DATABASE_URL is not a URL: {mask_url(url)}", where="DATALAB_DATABASE_URL"
        ) from None
    if parsed.drivername not in _POSTGRES_SCHEMES:
        raise ConfigurationError(
            f"DATALAB_DATABASE_URL must be a postgresql:// URL, not {mask_url(url)} (leave it "
            "unset for the embedded SQLite database)",
            where="DATALAB_DATABASE_URL",
        )
    return parsed.set(drivername="postgresql+psycopg")


class Database:
    """One SQLAlchemy engine on the catalogue's operational database.

    ``home`` is the catalogue's folder when known (files from before the database, such as
    the old ``accounts.sqlite3``, are imported from there). Use :meth:`transaction` to
    write and :meth:`read` to read; both hand out a :class:`~sqlalchemy.engine.Connection`.
    """

    def __init__(self, engine: Engine, *, home: Path | None = None) -> None:
        self.engine = engine
        self.home = home

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, *, check: bool = True, pooled: bool = True) -> Database:
        """The database the settings name, checked (PostgreSQL) or migrated (SQLite) to head.

        Raises :class:`ConfigurationError` when a PostgreSQL database is behind the code
        (run ``datalab db upgrade``) or ahead of it. ``check=False`` opens it as it is
        (``datalab db status`` and ``upgrade``). ``pooled=False`` keeps no PostgreSQL
        connection open between uses (for an object nobody closes); SQLite never pools.
        """
        timeout = settings.database_statement_timeout_s
        if settings.database_url is None:
            return cls.sqlite(embedded_path(settings.home), timeout_s=timeout, upgrade=check)
        database = cls.postgresql(
            settings.database_url, timeout_s=timeout, home=settings.home, pooled=pooled
        )
        if not check:
            return database
        try:
            migrate.require_current(database)
        except BaseException:
            database.close()
            raise
        return database

    @classmethod
    def sqlite(cls, path: Path, *, timeout_s: float = 30.0, upgrade: bool = True) -> Database:
        """The embedded SQLite file at ``path``, migrated to head unless ``upgrade`` is off."""
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection per use, as sqlite3 is cheap to open: nothing is left open by an
        # object nobody closes (callers that only pass a path).
        engine = sa.create_engine(
            sa.URL.create("sqlite", database=str(path)),
            poolclass=NullPool,
            connect_args={"timeout": timeout_s},
        )
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        database = cls(engine, home=path.parent)
        if upgrade:
            migrate.upgrade_if_behind(database)
        return database

    @classmethod
    def postgresql(
        cls, url: str, *, timeout_s: float = 30.0, home: Path | None = None, pooled: bool = True
    ) -> Database:
        """A PostgreSQL database through psycopg 3, not checked against the migrations."""
        pool: dict[str, Any] = {"pool_pre_ping": True} if pooled else {"poolclass": NullPool}
        engine = sa.create_engine(
            postgresql_url(url),
            **pool,
            connect_args={
                "connect_timeout": max(1, round(timeout_s)),
                "options": f"-c statement_timeout={round(timeout_s * 1000)}",
                "application_name": "datalab",
            },
        )
        return cls(engine, home=home)

    # -- use ---------------------------------------------------------------------------------

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self.engine.dialect.name)

    @property
    def url(self) -> str:
        """The database URL with its password masked."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in a transaction, committed at the end of the block, rolled back on
        an error. On SQLite it holds the write lock from its start (``BEGIN IMMEDIATE``), so
        a read-then-write never fails on a snapshot another writer made stale."""
        with self._wrapped(), self.engine.connect() as conn:
            conn.execution_options(**{_WRITE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading; whatever it wrote is rolled back."""
        with self._wrapped(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _wrapped(self) -> Iterator[None]:
        """Driver errors other than integrity violations as the catalogue's own errors."""
        try:
            yield
        except IntegrityError:
            raise
        except DBAPIError as exc:
            raise _wrap(exc, self.url) from exc

    def close(self) -> None:
        """Close the pooled connections."""
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Database({self.url!r})"


def _wrap(exc: DBAPIError, url: str) -> Exception:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    if type(exc.orig).__name__ == "QueryCanceled":
        return QueryTimeout(f"a statement on the database ran past its deadline: {reason}")
    return DatabaseUnavailable(f"the database {url} failed: {reason}", where="database")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Leave BEGIN to the hook below (pysqlite's own transaction handling is not usable).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
