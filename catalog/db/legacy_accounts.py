"""One-time import of a catalogue's accounts from before the operational database.

Catalogues installed before issue 17 kept users, tokens, grants and the audit log in
``<home>/accounts.sqlite3``. On the first open of the accounts, if that file exists and the
database holds no accounts yet, its rows are copied over in one transaction (the audit log in
``seq`` order, keeping its numbers) and the file is renamed ``accounts.sqlite3.migrated``, so
the import happens once and the old data stays at hand (:mod:`catalog.db.legacy_tables`).
"""

from __future__ import annotations

from pathlib import Path

from catalog.db.database import Database
from catalog.db.legacy_tables import LegacyTable, import_legacy_tables
from catalog.db.schema import audit, grants, tokens, users

#: Tables in the order their rows are copied (references first), and the order of rows.
TABLES = (
    LegacyTable("users", users, "name"),
    LegacyTable("tokens", tokens, "created, id"),
    LegacyTable("grants", grants, "user, dataset_id"),
    LegacyTable("audit", audit, "seq", seq="seq"),
)


def import_legacy_accounts(database: Database, legacy: Path) -> bool:
    """Copy ``legacy``'s accounts into ``database`` once; True when it did."""
    return import_legacy_tables(database, legacy, TABLES, "accounts")
