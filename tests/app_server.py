"""The API served by a real uvicorn server on a loopback thread, for a ``with`` block.

:func:`serving` picks a free port itself; :func:`serving_as_cli` starts the server the way
``datalab serve`` does (api/server.py), so the settings' derived public URL follows the
port it bound."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from api.app import create_app
from api.server import listen, server_config
from catalog.service import Catalogue
from catalog.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(settings: Settings, port: int | None = None) -> Iterator[str]:
    """Serve the catalogue of ``settings`` (on ``port``, or a free one); yields its base
    URL; stops the server."""
    port = port or free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def serving_as_cli(
    settings: Settings, on_startup: Callable[[Catalogue], None] | None = None
) -> Iterator[Settings]:
    """Serve as ``datalab serve`` does: the socket bound first, then the app built on the
    settings naming the bound port (with port 0, the one the system picked) and run with
    the server bounds; yields those settings; stops the server."""
    sock, settings = listen(settings)
    server = uvicorn.Server(server_config(create_app(settings, on_startup=on_startup), settings))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        yield settings
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
