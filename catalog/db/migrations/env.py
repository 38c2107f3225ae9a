"""Alembic environment: migrate the connection :func:`catalog.db.migrate.upgrade` hands over.

Only online migrations on a connection already in a transaction are supported; there is no
``alembic.ini`` and no offline (SQL script) mode.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from catalog.db.schema import metadata
from catalog.errors import ConfigurationError

#: Key of the PostgreSQL advisory lock that serialises concurrent upgrades.
UPGRADE_LOCK = 0x64617461_6C6162  # "datalab"


def run() -> None:
    if context.is_offline_mode():
        raise ConfigurationError("the catalogue's migrations run online only (datalab db upgrade)")
    connection = context.config.attributes["connection"]
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


run()
