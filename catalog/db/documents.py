"""An operator's JSON documents (licence mappings, added data spaces) in the database.

Each document is one row of ``operator_documents``: a name, a JSON body (a list), a
``version`` counting its writes and the time of the last one. A write compares and sets the
version: :meth:`OperatorDocuments.update` reads the body, applies a change and writes it
back only if nobody wrote in between; otherwise it reads again and re-applies the change, a
few times, then gives up with a :class:`~catalog.errors.Conflict`. Writers of one document
also queue on its row, so that retries are rare. Two replicas changing the same document at
once therefore never lose one of the changes; readers never wait.

Readers cache what they build from a document by its version
(:meth:`OperatorDocuments.cached`): one cheap ``SELECT`` of the version per use, the body
read and the value rebuilt only when it changed. A catalogue holds one
(:attr:`catalog.service.Catalogue.documents`, over its database); the functions that read or
change a document (``licence_table(documents)``...) take it.

A document's :class:`Document` names the file it was kept in before the database
(``<home>/licences.json``...): on the first use of that document by an
:class:`OperatorDocuments`, the file is imported if the database has no such document yet,
and renamed ``<file>.migrated``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from catalog.db.database import Database
from catalog.db.legacy_tables import retire
from catalog.db.schema import operator_documents as documents
from catalog.errors import Conflict, InvalidInput
from catalog.operator_files import read_json_list

log = logging.getLogger(__name__)

T = TypeVar("T")

#: What identifies one version of a document: (version, updated); None when there is none.
Stamp = tuple[int, str] | None

#: How often :meth:`OperatorDocuments.update` re-applies a change that lost a race.
ATTEMPTS = 5


@dataclass(frozen=True)
class Document:
    """One operator document: its ``name`` in the table, the ``legacy_file`` it was kept in
    (in the catalogue's folder), ``what`` it holds (for messages), and ``check``, which
    raises :class:`~catalog.errors.InvalidInput` on a body that must not be stored (its
    second argument names where the body comes from, for the error)."""

    name: str
    legacy_file: str
    what: str
    check: Callable[[list[Any], str], object]


@dataclass(frozen=True)
class Snapshot:
    """A document as read: its stamp (None when it was never written) and its body."""

    stamp: Stamp
    body: list[Any]

    @property
    def version(self) -> int:
        return 0 if self.stamp is None else self.stamp[0]


class OperatorDocuments:
    """The operator documents in one database, with a per-version cache of what readers
    build from them (a catalogue holds one: :attr:`catalog.service.Catalogue.documents`)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._cache: dict[str, tuple[Stamp, object]] = {}
        self._settled: set[str] = set()
        self._guard = threading.Lock()

    # -- reading -------------------------------------------------------------------------

    def read(self, document: Document) -> Snapshot:
        """The document's body and stamp (``[]`` and None when it was never written)."""
        self._settle(document)
        with self.database.read() as db:
            return _read(db, document.name)

    def stamp(self, document: Document) -> Stamp:
        """The document's current stamp: one small ``SELECT``."""
        self._settle(document)
        query = sa.select(documents.c.version, documents.c.updated).where(
            documents.c.name == document.name
        )
        with self.database.read() as db:
            row = db.execute(query).first()
        return None if row is None else (row[0], row[1])

    def cached(self, document: Document, build: Callable[[list[Any]], T]) -> T:
        """``build(body)`` of the document's current version; the same object while the
        version stays (so callers may compare by identity). A document is always built by
        the same ``build``."""
        stamp = self.stamp(document)
        with self._guard:
            hit = self._cache.get(document.name)
            if hit is not None and hit[0] == stamp:
                return cast(T, hit[1])
        snapshot = self.read(document)
        value = build(snapshot.body)
        with self._guard:
            self._cache[document.name] = (snapshot.stamp, value)
        return value

    # -- writing -------------------------------------------------------------------------

    def update(
        self,
        document: Document,
        change: Callable[[list[Any]], list[Any] | None],
        *,
        attempts: int = ATTEMPTS,
    ) -> Snapshot:
        """Apply ``change`` to the current body and store its result (``None``: no write).

        The write only succeeds on the version the change was computed from. Writers of a
        document queue on its row (``FOR UPDATE`` on PostgreSQL, the write lock on SQLite);
        when another writer still got in first (both writing the first version, or a writer
        that does not lock), the change is computed again on their result. After
        ``attempts`` lost races, :class:`~catalog.errors.Conflict`: never a lost update.
        """
        self._settle(document)
        for _ in range(attempts):
            with self.database.transaction() as db:
                current = _read(db, document.name, lock=True)
                body = change(list(current.body))
                if body is None:
                    return current
                document.check(body, document.name)
                stamp = _write(db, document.name, body, current.version)
            if stamp is not None:
                return Snapshot(stamp, body)
        raise Conflict(
            f"the {document.what} kept changing while this change was written; try again",
            where=document.name,
        )

    # -- the file from before the database ------------------------------------------------

    def _settle(self, document: Document) -> None:
        """Import the document's old file on its first use here (and until that works)."""
        if document.name in self._settled:
            return
        home = self.database.home
        if home is not None:
            import_legacy_document(self.database, document, home / document.legacy_file)
        with self._guard:
            self._settled.add(document.name)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _read(db: sa.Connection, name: str, *, lock: bool = False) -> Snapshot:
    query = sa.select(documents.c.version, documents.c.updated, documents.c.body).where(
        documents.c.name == name
    )
    if lock:  # PostgreSQL only: SQLite's transactions hold the write lock already
        query = query.with_for_update()
    row = db.execute(query).first()
    if row is None:
        return Snapshot(None, [])
    try:
        body = json.loads(row[2])
    except ValueError as exc:
        raise InvalidInput(f"the stored document {name!r} is not JSON: {exc}", where=name) from None
    if not isinstance(body, list):
        raise InvalidInput(f"the stored document {name!r} must be a JSON list", where=name)
    return Snapshot((row[0], row[1]), body)


def _write(db: sa.Connection, name: str, body: list[Any], version: int) -> Stamp:
    """Store ``body`` as the version after ``version``; None when ``version`` is no longer
    the current one (another writer got in first)."""
    text = json.dumps(body, ensure_ascii=False, default=str)
    stamp = (version + 1, _now())
    values = {"body": text, "version": stamp[0], "updated": stamp[1]}
    if version == 0:  # the first write: whoever inserts first wins
        insert = postgresql.insert if db.dialect.name == "postgresql" else sqlite.insert
        first = insert(documents).values(name=name, **values).on_conflict_do_nothing()
        inserted = db.execute(first.returning(documents.c.name)).first()
        return stamp if inserted is not None else None
    done = db.execute(
        documents.update()
        .where(documents.c.name == name, documents.c.version == version)
        .values(values)
    )
    return stamp if done.rowcount == 1 else None


def import_legacy_document(database: Database, document: Document, legacy: Path) -> bool:
    """Copy the old file ``legacy`` into ``database`` as ``document`` once; True when it did.

    A file that does not read as a list, or whose entries ``document.check`` refuses, is an
    :class:`~catalog.errors.InvalidInput` naming the file, and stays where it is. When the
    database holds the document already, the file is left alone, with a warning.
    """
    if not legacy.is_file():
        return False
    body = read_json_list(legacy, document.what)
    try:
        document.check(body, str(legacy))
    except InvalidInput as exc:
        raise InvalidInput(
            f"cannot import the {document.what} of {legacy}: {exc}", where=str(legacy)
        ) from None
    with database.transaction() as db:
        if not legacy.is_file():  # another process imported it while this one waited
            return False
        if _read(db, document.name).stamp is not None:
            log.warning(
                "%s was not imported: the database already holds the %s; the file stays",
                legacy,
                document.what,
            )
            return False
        if _write(db, document.name, body, 0) is None:
            return False  # imported by another process meanwhile
    retire(legacy)
    log.info("imported the %s of %s into %s", document.what, legacy, database.url)
    return True
