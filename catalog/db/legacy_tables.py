"""One-time import of operational state that lived in its own SQLite file before the database.

Catalogues installed before issue 17 kept the web sessions in ``<home>/web_sessions.sqlite3``
and the access requests in ``<home>/access_requests.sqlite3``. The first time their store is
opened on a database that has none of those rows yet, the old rows are copied over in one
transaction (comments keep their ``seq``) and the file is renamed ``<name>.migrated``; a
database that already holds rows is left alone, with a warning, and so is the file. The
accounts (:mod:`catalog.db.legacy_accounts`) are imported the same way.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from catalog.db.database import Database
from catalog.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

SUFFIX = ".migrated"


@dataclass(frozen=True)
class LegacyTable:
    """A table of an old file (``source``) copied into ``target``, rows in ``order``; an
    identity column named by ``seq`` continues after the largest copied value."""

    source: str
    target: sa.Table
    order: str
    seq: str | None = None


def import_legacy_tables(
    database: Database, legacy: Path, tables: Sequence[LegacyTable], what: str
) -> bool:
    """Copy the ``tables`` of the old SQLite file ``legacy`` into ``database`` once; True
    when it did. ``what`` names the contents in messages (``"web sessions"``)."""
    if not legacy.is_file() or _is_the_database(database, legacy):
        return False
    targets = [t.target for t in tables]
    with database.transaction() as conn:
        if database.dialect == "postgresql":  # SQLite's BEGIN IMMEDIATE already serialises
            names = ", ".join(t.name for t in targets)
            conn.execute(sa.text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
        if not legacy.is_file():  # another process imported it while this one waited
            return False
        if any(conn.execute(sa.select(sa.literal(1)).select_from(t)).first() for t in targets):
            log.warning(
                "%s was not imported: the database already holds %s; its rows stay in that file",
                legacy,
                what,
            )
            return False
        counts = {t.target.name: _copy(conn, legacy, t) for t in tables}
        if database.dialect == "postgresql":
            for table in tables:
                if table.seq is not None:
                    _continue_sequence(conn, table.target.name, table.seq)
    retire(legacy)
    log.info("imported the %s of %s into %s: %s", what, legacy, database.url, counts)
    return True


def _is_the_database(database: Database, legacy: Path) -> bool:
    name = database.engine.url.database
    return (
        database.dialect == "sqlite"
        and name is not None
        and Path(name).resolve() == legacy.resolve()
    )


def _copy(conn: sa.Connection, legacy: Path, table: LegacyTable) -> int:
    rows = _read(legacy, table)
    if rows:
        conn.execute(table.target.insert(), rows)
    return len(rows)


def _read(legacy: Path, table: LegacyTable) -> list[dict[str, Any]]:
    try:
        source = sqlite3.connect(legacy, timeout=30)
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(f"cannot read the old file {legacy}: {exc}") from exc
    try:
        present = {r[1] for r in source.execute(f"PRAGMA table_info({table.source})")}
        if not present:
            return []
        columns = [c.name for c in table.target.columns if c.name in present]
        quoted = ", ".join(f'"{c}"' for c in columns)
        query = f"SELECT {quoted} FROM {table.source} ORDER BY {table.order}"  # noqa: S608
        return [dict(zip(columns, r, strict=True)) for r in source.execute(query)]
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(f"cannot read the old file {legacy}: {exc}") from exc
    finally:
        source.close()


def _continue_sequence(conn: sa.Connection, table: str, column: str) -> None:
    conn.execute(
        sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "  # noqa: S608
            f"COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"
        )
    )


def retire(legacy: Path) -> None:
    """Rename the old file (and any WAL beside it) to ``*.migrated``."""
    for suffix in ("", "-wal", "-shm"):
        path = legacy.with_name(legacy.name + suffix)
        if path.exists():
            path.rename(legacy.with_name(legacy.name + SUFFIX + suffix))
