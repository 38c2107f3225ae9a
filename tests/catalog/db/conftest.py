"""Fixtures of the database tests: a real PostgreSQL server, and both dialects side by side."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.db import Database, upgrade
from catalog.settings import Settings, get_settings
from tests.pg_server import PostgresServer

DIALECTS = ["sqlite", "postgresql"]


@pytest.fixture
def pg_url(postgres: PostgresServer) -> Iterator[str]:
    """The URL (with a password, trusted) of a fresh, empty PostgreSQL database."""
    url = postgres.new_database()
    yield url
    postgres.drop_database(url)


@pytest.fixture(params=DIALECTS)
def db_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings of a catalogue on the embedded SQLite file, then on a fresh PostgreSQL."""
    if request.param == "sqlite":
        return get_settings(home=tmp_path / "home")
    url = request.getfixturevalue("pg_url")
    return get_settings(home=tmp_path / "home", database_url=url)


@pytest.fixture
def database(db_settings: Settings) -> Iterator[Database]:
    """An upgraded database of either dialect."""
    if db_settings.database_url is not None:
        with Database.postgresql(db_settings.database_url) as fresh:
            upgrade(fresh)
    with Database.open(db_settings) as db:
        yield db
