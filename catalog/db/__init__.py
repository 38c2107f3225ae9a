"""The operational database: accounts, audit, change feed and job queue (SQLite or PostgreSQL).

:class:`Database` opens it from the settings; :mod:`catalog.db.schema` holds its tables and
:mod:`catalog.db.migrate` its Alembic migrations.
"""

from __future__ import annotations

from catalog.db.database import Database, embedded_path, mask_url
from catalog.db.migrate import Revisions, head_revision, require_current, revisions, upgrade

__all__ = [
    "Database",
    "Revisions",
    "embedded_path",
    "head_revision",
    "mask_url",
    "require_current",
    "revisions",
    "upgrade",
]
