"""What the harvest stores share: the operational database they keep their state in.

Sources, jobs and the validation queue live in :mod:`catalog.db` (the embedded SQLite file
by default, PostgreSQL when ``DATALAB_DATABASE_URL`` is set), so every API replica and
harvest worker pointed at one database sees the same state. Each store takes an open
:class:`~catalog.db.Database`, or the settings to open one from (the older form).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from catalog.db import Database
from catalog.settings import Settings


def database_of(where: Database | Settings) -> Database:
    """``where`` itself, or the database its settings name (opened, checked or migrated;
    unpooled, so a store built from settings and never closed leaves no connection open)."""
    return where if isinstance(where, Database) else Database.open(where, pooled=False)


def insert(database: Database, table: sa.Table) -> Any:
    """An INSERT on ``table`` with the dialect's ``ON CONFLICT`` clauses."""
    dialect = postgresql if database.dialect == "postgresql" else sqlite
    return dialect.insert(table)


def by_code_point(database: Database, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
    """``column`` compared by code point, whatever the database's collation (SQLite's
    default already is)."""
    return column.collate("C") if database.dialect == "postgresql" else column
