"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalog.db import Database
from catalog.db.documents import OperatorDocuments
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from tests.catalog.store.conftest import OxigraphServer
from tests.pg_server import PostgresServer, running_postgres
from tests.s3_server import running_seaweedfs
from tests.virtuoso_server import VirtuosoServer

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real third-party files in ../shared/corpus (read there, never copied)."""
    assert CORPUS.is_dir(), f"the corpus is missing at {CORPUS}"
    return CORPUS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return get_settings(home=tmp_path / "home")


@pytest.fixture
def documents(settings: Settings) -> Iterator[OperatorDocuments]:
    """The operator's documents (licence mappings, data spaces) of the settings' database."""
    with Database.open(settings) as database:
        yield OperatorDocuments(database)


@pytest.fixture
def catalogue(settings: Settings) -> Iterator[Catalogue]:
    with Catalogue.open(settings) as cat:
        yield cat


# -- servers shared by the whole run (session-scoped here, so each starts once) ------------


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL 15 server (Debian's binaries) for the run."""
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """A real Oxigraph SPARQL server for the run."""
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph-server") / "db")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def virtuoso_server() -> Iterator[VirtuosoServer]:
    """A real Virtuoso 7 (Debian's virtuoso-opensource) for the run, its row cap small."""
    server = VirtuosoServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real S3 server (SeaweedFS) for the run: its ``host:port`` (plain HTTP, the keys of
    ``tests/s3_server.py``)."""
    with running_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as endpoint:
        yield endpoint
