"""A real HTTP server on 127.0.0.1 whose answers each test scripts, faults included."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from catalog.settings import Settings, get_settings
from tests.http_thread import running


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: "hang": never answer; "reset": RST the connection; "truncate": close mid-body.
    fault: str | None = None


Route = Callable[[str, dict[str, list[str]]], Answer]


class Loopback:
    """Routes by path; ``hits`` counts requests per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                outer.hits[parts.path] = outer.hits.get(parts.path, 0) + 1
                route = outer.routes.get(parts.path)
                answer = route(parts.path, parse_qs(parts.query)) if route else Answer(404)
                if answer.fault == "hang":
                    outer._stop.wait(30)
                    return
                if answer.fault == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                    self.connection.close()
                    return
                self.send_response(answer.status)
                headers = {"Content-Type": "application/json", **answer.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if answer.fault == "truncate":
                    self.wfile.write(answer.body[: len(answer.body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(answer.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def static(self, path: str, body: bytes, content_type: str, status: int = 200) -> None:
        self.routes[path] = lambda _p, _q: Answer(status, body, {"Content-Type": content_type})

    def settings(self, home: Path, **extra: object) -> Settings:
        values: dict[str, object] = {
            "home": home,
            "fetch_allow_hosts": [f"127.0.0.1:{self.port}"],
            "fetch_host_delay_s": 0,
            "fetch_backoff_s": 0.01,
            "fetch_max_retries": 1,
            "fetch_read_timeout_s": 1.0,
            "fetch_total_timeout_s": 4.0,
        }
        values.update(extra)
        return get_settings(**values)


@contextmanager
def serve() -> Iterator[Loopback]:
    server = Loopback()
    with running(server.server, before_stop=server._stop.set):
        yield server
