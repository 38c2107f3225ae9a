"""Schema migrations of the operational database, through Alembic used from code.

The Alembic environment and revisions live in ``catalog/db/migrations`` (packaged with the
code); the configuration is built here, so no ``alembic.ini`` is needed. :func:`upgrade`
migrates to the newest revision ("head") in one transaction; :func:`require_current` is the
start-up check of a PostgreSQL database.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from catalog.errors import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from catalog.db.database import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Revisions(NamedTuple):
    """Where a database stands: its revision (None when never migrated) and the code's."""

    current: str | None
    head: str

    @property
    def behind(self) -> bool:
        return self.current != self.head


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration on the packaged migrations (and on ``connection``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision the code knows."""
    head = _scripts().get_current_head()
    if head is None:  # pragma: no cover  (the package ships its revisions)
        raise ConfigurationError("no database migrations are installed", where="catalog.db")
    return head


def revisions(database: Database) -> Revisions:
    """The database's revision and the code's head."""
    with database.read() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return Revisions(current, head_revision())


def upgrade(database: Database) -> Revisions:
    """Migrate ``database`` to head in one transaction; a no-op when it is there already.

    Concurrent upgrades wait for each other (SQLite's write lock; an advisory lock on
    PostgreSQL), and the later one finds nothing left to do.
    """
    with database.transaction() as conn:
        try:
            command.upgrade(alembic_config(conn), "head")
        except CommandError as exc:
            raise _unknown(database, str(exc)) from exc
    return revisions(database)


def upgrade_if_behind(database: Database) -> None:
    """Upgrade unless the database is at head already (one cheap read when it is)."""
    state = revisions(database)
    if state.behind:
        _check_known(database, state)
        upgrade(database)


def require_current(database: Database) -> None:
    """Refuse a database whose schema is not the code's head, saying what to do."""
    state = revisions(database)
    if not state.behind:
        return
    _check_known(database, state)
    shown = state.current or "none (an empty database)"
    raise ConfigurationError(
        f"the database {database.url} is at schema revision {shown}, behind this catalogue's "
        f"{state.head}: run `datalab db upgrade` (with the same DATALAB_DATABASE_URL) first",
        where="DATALAB_DATABASE_URL",
    )


def _check_known(database: Database, state: Revisions) -> None:
    if state.current is None:
        return
    try:
        _scripts().get_revision(state.current)
    except CommandError:
        raise _unknown(database, f"unknown revision {state.current}") from None


def _unknown(database: Database, reason: str) -> ConfigurationError:
    return ConfigurationError(
        f"the database {database.url} has a schema this catalogue does not know ({reason}); "
        "was it migrated by a newer version of the catalogue?",
        where="DATALAB_DATABASE_URL",
    )
