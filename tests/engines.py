"""Behavioural suites on the embedded engines and on the shared ones.

A test module runs once per engine set by taking its settings from :func:`engine_settings`
in a fixture parametrised with :data:`ENGINES`:

- ``embedded``: the embedded Oxigraph store and the SQLite operational database in the
  test's home folder (the default install);
- ``shared``: the session's real Oxigraph server (emptied first) and a fresh, migrated
  PostgreSQL database (dropped afterwards): what replicas on many machines share.

>>> @pytest.fixture(params=ENGINES)          # doctest: +SKIP
... def settings(request, tmp_path):
...     return engine_settings(request, tmp_path / "home")
"""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.db import Database, upgrade
from catalog.settings import Settings, get_settings
from catalog.store.sparql import SparqlStore
from tests.catalog.store.conftest import OxigraphServer, clear, sparql_settings
from tests.pg_server import PostgresServer

ENGINES = ["embedded", "shared"]


def engine_settings(request: pytest.FixtureRequest, home: Path, **overrides: object) -> Settings:
    """Settings of a catalogue in ``home`` on the engines ``request.param`` names."""
    if request.param == "embedded":
        return get_settings(home=home, **overrides)
    postgres: PostgresServer = request.getfixturevalue("postgres")
    server: OxigraphServer = request.getfixturevalue("oxigraph_server")
    url = postgres.new_database()
    request.addfinalizer(lambda: postgres.drop_database(url))
    with Database.postgresql(url) as fresh:
        upgrade(fresh)
    store = SparqlStore(server.query_url, server.update_url, server.gsp_url)
    try:
        clear(store)  # the session's server holds other tests' graphs
    finally:
        store.close()
    return sparql_settings(server, home, database_url=url, **overrides)


#: The settings that say where a catalogue's engines are (what a CLI run must be told).
_WHERE = (
    "home",
    "database_url",
    "store_backend",
    "sparql_query_url",
    "sparql_update_url",
    "sparql_gsp_url",
    "sparql_snapshot_reads",
)


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment of a ``datalab`` command on the engines of ``settings``."""
    values = settings.model_dump(include=set(_WHERE))
    return {
        f"DATALAB_{name.upper()}": str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in values.items()
        if value is not None
    }
