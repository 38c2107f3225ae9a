"""Live catalogue instances on loopback ports, for the federation tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from catalog.demo import load_demo
from catalog.service import Catalogue
from catalog.settings import Settings, get_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Instance:
    """One catalogue with its own home, served by uvicorn on a loopback port."""

    settings: Settings
    catalogue: Catalogue
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.catalogue.close()


def start_instance(home: Path, name: str, port: int, allow: list[str]) -> Instance:
    settings = get_settings(
        home=home,
        base_iri=f"https://{name}.datalab.example.eu/",
        public_url=f"http://127.0.0.1:{port}",
        fetch_allow_hosts=allow,
        fetch_host_delay_s=0,
        fetch_max_retries=0,
    )
    catalogue = Catalogue.open(settings)
    app = create_app(settings, catalogue=catalogue)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return Instance(settings, catalogue, f"http://127.0.0.1:{port}", server, thread)


@pytest.fixture
def instance_factory(tmp_path: Path) -> Iterator:
    started: list[Instance] = []

    def make(
        name: str, *, port: int | None = None, peers: tuple[int, ...] = (), demo: bool = False
    ) -> Instance:
        allow = [f"127.0.0.1:{p}" for p in peers]
        inst = start_instance(tmp_path / name, name, port or free_port(), allow)
        started.append(inst)
        if demo:
            load_demo(inst.catalogue)
        return inst

    yield make
    for inst in started:
        inst.stop()
