"""One-time import of a catalogue's accounts from before the operational database.

Catalogues installed before issue 17 kept users, tokens, grants and the audit log in
``<home>/accounts.sqlite3``. On the first open of the accounts, if that file exists and the
database holds no accounts yet, its rows are copied over in one transaction (the audit log in
``seq`` order, keeping its numbers) and the file is renamed ``accounts.sqlite3.migrated``, so
the import happens once and the old data stays at hand.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from catalog.db.database import Database
from catalog.db.schema import audit, grants, tokens, users
from catalog.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

#: Tables in the order their rows are copied (references first), and the order of rows.
TABLES: tuple[tuple[sa.Table, str], ...] = (
    (users, "name"),
    (tokens, "created, id"),
    (grants, "user, dataset_id"),
    (audit, "seq"),
)

SUFFIX = ".migrated"


def import_legacy_accounts(database: Database, legacy: Path) -> bool:
    """Copy ``legacy``'s accounts into ``database`` once; True when it did."""
    if not legacy.is_file() or _is_the_database(database, legacy):
        return False
    with database.transaction() as conn:
        if database.dialect == "postgresql":  # SQLite's BEGIN IMMEDIATE already serialises
            conn.execute(sa.text("LOCK TABLE users, tokens, grants, audit IN EXCLUSIVE MODE"))
        if not legacy.is_file():  # another process imported it while this one waited
            return False
        if any(conn.execute(sa.select(sa.literal(1)).select_from(t)).first() for t, _ in TABLES):
            log.warning(
                "%s was not imported: the database already holds accounts; its rows stay "
                "in that file",
                legacy,
            )
            return False
        counts = {t.name: _copy(conn, legacy, t, order) for t, order in TABLES}
        if database.dialect == "postgresql":
            conn.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('audit', 'seq'), "
                    "COALESCE((SELECT max(seq) FROM audit), 0) + 1, false)"
                )
            )
    _retire(legacy)
    log.info("imported the accounts of %s into %s: %s", legacy, database.url, counts)
    return True


def _is_the_database(database: Database, legacy: Path) -> bool:
    name = database.engine.url.database
    return (
        database.dialect == "sqlite"
        and name is not None
        and Path(name).resolve() == legacy.resolve()
    )


def _copy(conn: sa.Connection, legacy: Path, table: sa.Table, order: str) -> int:
    rows = _read(legacy, table, order)
    if rows:
        conn.execute(table.insert(), rows)
    return len(rows)


def _read(legacy: Path, table: sa.Table, order: str) -> list[dict[str, Any]]:
    try:
        source = sqlite3.connect(legacy, timeout=30)
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(f"cannot read the old accounts file {legacy}: {exc}") from exc
    try:
        present = {r[1] for r in source.execute(f"PRAGMA table_info({table.name})")}
        if not present:
            return []
        columns = [c.name for c in table.columns if c.name in present]
        quoted = ", ".join(f'"{c}"' for c in columns)
        query = f"SELECT {quoted} FROM {table.name} ORDER BY {order}"  # noqa: S608  (fixed names)
        return [dict(zip(columns, r, strict=True)) for r in source.execute(query)]
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(f"cannot read the old accounts file {legacy}: {exc}") from exc
    finally:
        source.close()


def _retire(legacy: Path) -> None:
    """Rename the old file (and any WAL beside it) to ``*.migrated``."""
    for suffix in ("", "-wal", "-shm"):
        path = legacy.with_name(legacy.name + suffix)
        if path.exists():
            path.rename(legacy.with_name(legacy.name + SUFFIX + suffix))
