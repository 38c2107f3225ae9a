"""Sandboxed DuckDB connections for reading Parquet samples.

Every connection is in-memory and is closed in this order before any query runs:
``allowed_directories`` (only the one sample folder or S3 prefix being read), then
``enable_external_access=false``, then ``lock_configuration=true``. Extensions are never
installed: httpfs is loaded from the ``duckdb-extension-httpfs`` wheel. DuckDB has no
statement timeout, so a watchdog timer calls ``interrupt()`` at the deadline.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from catalog.errors import ConfigurationError, InvalidSample, QueryTimeout

log = logging.getLogger("datalab.samples")


def httpfs_extension_path() -> Path:
    """The httpfs extension file shipped by the ``duckdb-extension-httpfs`` package."""
    import duckdb_extension_httpfs

    root = Path(duckdb_extension_httpfs.__file__).parent / "extensions"
    path = root / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not path.is_file():
        raise ConfigurationError(
            f"httpfs extension for DuckDB {duckdb.__version__} not found under {root}; "
            "install duckdb-extension-httpfs of the same version as duckdb"
        )
    return path


@dataclass(frozen=True)
class S3Config:
    """How DuckDB's httpfs reaches the S3-compatible sample store."""

    endpoint: str
    access_key: str
    secret_key: str
    region: str
    url_style: str
    use_ssl: bool


@dataclass(frozen=True)
class EngineLimits:
    """Resources one sample connection may use."""

    threads: int = 2
    memory_limit: str = "1GB"
    deadline_s: float = 5.0


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class SampleEngine:
    """Opens sandboxed connections and runs queries under a deadline."""

    def __init__(
        self, limits: EngineLimits, s3: S3Config | None = None, max_open: int = 16
    ) -> None:
        self.limits = limits
        self.s3 = s3
        self.max_open = max_open
        self._open: dict[str, duckdb.DuckDBPyConnection] = {}
        self._users: dict[int, int] = {}
        self._retired: list[duckdb.DuckDBPyConnection] = []
        self._guard = threading.Lock()

    def _configure(
        self, con: duckdb.DuckDBPyConnection, allowed: str, temp_directory: str | None = None
    ) -> None:
        # Only trusted values (settings, our own paths) reach these statements.
        con.execute(f"SET threads={int(self.limits.threads)}")
        if temp_directory is not None:  # where a large sort may spill (inside ``allowed``)
            con.execute(f"SET temp_directory={_quote_literal(temp_directory)}")
        con.execute(f"SET memory_limit={_quote_literal(self.limits.memory_limit)}")
        con.execute("SET autoinstall_known_extensions=false")
        con.execute("SET autoload_known_extensions=false")
        if self.s3 is not None:
            con.execute(f"LOAD {_quote_literal(str(httpfs_extension_path()))}")
            s3 = self.s3
            con.execute(
                "CREATE SECRET samples_s3 (TYPE s3, "
                f"KEY_ID {_quote_literal(s3.access_key)}, SECRET {_quote_literal(s3.secret_key)}, "
                f"REGION {_quote_literal(s3.region)}, ENDPOINT {_quote_literal(s3.endpoint)}, "
                f"URL_STYLE {_quote_literal(s3.url_style)}, USE_SSL {str(s3.use_ssl).lower()})"
            )
        # httpfs must be loaded before the allow-list is set (checked on DuckDB 1.5.5: set
        # earlier, s3:// paths stay refused even when listed).
        con.execute(f"SET allowed_directories=[{_quote_literal(allowed)}]")
        con.execute("SET enable_external_access=false")
        con.execute("SET lock_configuration=true")

    @contextmanager
    def connect_once(
        self, allowed: str, temp_directory: str | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A sandboxed connection used once and closed (for checking an upload); it may
        write only under ``allowed`` (the upload's staging folder)."""
        con = duckdb.connect(":memory:")
        try:
            self._configure(con, allowed, temp_directory)
            yield con
        finally:
            con.close()

    @contextmanager
    def connect(self, allowed: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A sandboxed connection that may only read under ``allowed``.

        ``allowed`` is one sample's folder: a local path or an ``s3://`` prefix, ending in /.
        Configured (and locked) databases are kept per folder, since opening one costs more
        than a first-rows query; each use gets its own cursor.
        """
        with self._guard:
            parent = self._open.pop(allowed, None)
            if parent is None:
                parent = duckdb.connect(":memory:")
                try:
                    self._configure(parent, allowed)
                except BaseException:
                    parent.close()
                    raise
            self._open[allowed] = parent  # most recently used last
            while len(self._open) > self.max_open:
                self._retire(self._open.pop(next(iter(self._open))))
            self._users[id(parent)] = self._users.get(id(parent), 0) + 1
            con = parent.cursor()
        try:
            yield con
        finally:
            con.close()
            with self._guard:
                self._users[id(parent)] -= 1
                if parent in self._retired:
                    self._retire(parent)

    def _retire(self, parent: duckdb.DuckDBPyConnection) -> None:
        """Close an evicted database once no query uses it (caller holds the guard)."""
        if self._users.get(id(parent), 0) > 0:
            self._retired.append(parent)
            return
        self._users.pop(id(parent), None)
        if parent in self._retired:
            self._retired.remove(parent)
        parent.close()

    def close(self) -> None:
        """Close every cached database."""
        with self._guard:
            for con in [*self._open.values(), *self._retired]:
                con.close()
            self._open.clear()
            self._retired.clear()
            self._users.clear()

    def query(
        self,
        con: duckdb.DuckDBPyConnection,
        sql: str,
        params: Sequence[Any] | Mapping[str, Any] = (),
        *,
        deadline_s: float | None = None,
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run ``sql`` with ``params`` and fetch every row (column names, rows).

        Execution and fetch share one deadline; past it the query is interrupted and
        :class:`QueryTimeout` raised.
        """
        deadline = deadline_s if deadline_s is not None else self.limits.deadline_s
        fired = threading.Event()
        done = threading.Event()

        def _watchdog() -> None:
            if done.wait(deadline):
                return
            fired.set()
            # An interrupt that lands before execution starts is lost, so keep
            # interrupting until the statement has ended.
            while not done.is_set():
                con.interrupt()
                done.wait(0.01)

        watchdog = threading.Thread(target=_watchdog, name="duckdb-deadline", daemon=True)
        watchdog.start()
        try:
            cursor = con.execute(sql, params if isinstance(params, Mapping) else list(params))
            names = [d[0] for d in cursor.description or ()]
            return names, cursor.fetchall()
        except duckdb.Error as exc:
            if fired.is_set() or isinstance(exc, duckdb.InterruptException):
                raise QueryTimeout(f"sample query ran past its {deadline:g} s deadline") from None
            raise
        finally:
            done.set()
            watchdog.join()


def wrap_read_error(exc: duckdb.Error) -> InvalidSample:
    """A DuckDB error while reading a file, as the catalogue's error."""
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return InvalidSample(f"the sample cannot be read: {first[:300]}")
