"""A tiny HTTP server on loopback whose answers a test scripts (misbehaving SPARQL servers)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.http_thread import running

Behaviour = Callable[["ScriptedHandler"], None]


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.behaviour = behaviour
        self.release = threading.Event()
        self.hits = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ScriptedHandler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def do_POST(self) -> None:
        self.server.hits += 1
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.behaviour(self)

    do_GET = do_POST

    def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return


@contextmanager
def scripted_server(behaviour: Behaviour) -> Iterator[ScriptedServer]:
    server = ScriptedServer(behaviour)
    with running(server, before_stop=server.release.set, poll_interval=0.05):
        yield server
