"""Fixtures of the store tests: real graph servers, and every backend side by side.

``oxigraph`` is the embedded store, ``sparql`` the remote store on a real Oxigraph server,
``virtuoso`` the remote store on a real Virtuoso 7 (its row cap small, reads paged below it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from catalog.service import Catalogue
from catalog.settings import Settings, get_settings
from catalog.store.base import GraphStore
from catalog.store.oxigraph import OxigraphStore
from catalog.store.sparql import SparqlStore
from tests.virtuoso_server import VirtuosoServer

BACKENDS = ["oxigraph", "sparql", "virtuoso"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _oxigraph_binary() -> str:
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        pytest.fail("the oxigraph server binary is missing: pip install oxigraph==0.5.13")
    return found


class OxigraphServer:
    """One ``oxigraph serve`` process on a free loopback port."""

    def __init__(self, location: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = location.parent / "oxigraph-server.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [
                _oxigraph_binary(),
                "serve",
                "--timeout-s",
                "10",  # a thread per query for this long: docs/deploying.md
                "--location",
                str(location),
                "--bind",
                f"127.0.0.1:{self.port}",
            ],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    @property
    def query_url(self) -> str:
        return f"{self.base}/query"

    @property
    def update_url(self) -> str:
        return f"{self.base}/update"

    @property
    def gsp_url(self) -> str:
        return f"{self.base}/store"

    def wait_ready(self, deadline_s: float = 30.0) -> None:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"oxigraph server exited: {self.log.read_text()}")
            try:
                answer = httpx.post(
                    self.query_url,
                    content=b"ASK {}",
                    headers={"Content-Type": "application/sparql-query"},
                    timeout=1.0,
                    trust_env=False,
                )
                if answer.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"oxigraph server did not answer in {deadline_s} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()


def sparql_settings(
    server: OxigraphServer | VirtuosoServer, home: Path, **overrides: object
) -> Settings:
    values: dict[str, object] = {
        "home": home,
        "store_backend": "sparql",
        "sparql_query_url": server.query_url,
        "sparql_update_url": server.update_url,
        "sparql_gsp_url": server.gsp_url,
        "sparql_snapshot_reads": True,
        "sparql_timeout_s": 60.0,
    }
    if isinstance(server, VirtuosoServer):
        # Virtuoso reads committed data, not one snapshot; pages stay below its row cap.
        values["sparql_snapshot_reads"] = False
        values["store_sparql_page_rows"] = server.row_cap // 2
        # dropping a 200k-triple graph (the streaming test's) takes Virtuoso long on a busy
        # machine; the deadline the tests give each request is longer there
        values["sparql_timeout_s"] = 180.0
    values.update(overrides)
    return get_settings(**values)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    if backend == "sparql":
        server: OxigraphServer = request.getfixturevalue("oxigraph_server")
        return sparql_settings(server, tmp_path / "home")
    if backend == "virtuoso":
        virtuoso: VirtuosoServer = request.getfixturevalue("virtuoso_server")
        return sparql_settings(virtuoso, tmp_path / "home")
    return get_settings(home=tmp_path / "home")


def clear(store: SparqlStore) -> None:
    """Empty a shared server: everything, but Virtuoso's own system graphs."""
    if store.dialect != "virtuoso":
        store.update("DROP ALL")
        return
    for graph in store.named_graphs():
        store.drop(graph)


@pytest.fixture
def store(settings: Settings) -> Iterator[GraphStore]:
    """An empty store of the backend under test (the shared server is cleared first)."""
    opened: GraphStore
    if settings.store_backend == "sparql":
        opened = SparqlStore.from_settings(settings)
        clear(opened)
    else:
        opened = OxigraphStore(settings.store_path)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def catalogue(settings: Settings, store: GraphStore) -> Catalogue:
    """A catalogue over the backend under test (the ``store`` fixture closes the store)."""
    return Catalogue(settings, store)
