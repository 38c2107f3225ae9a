"""A real HTTP server on 127.0.0.1 (GET and POST) whose routes replay corpus files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from catalog.settings import Settings, get_settings
from tests.http_thread import running


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Request], Reply]


class Server:
    """Routes by path; ``requests`` records every request received."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(
                    method, parts.path, parse_qs(parts.query), body, dict(self.headers.items())
                )
                outer.requests.append(req)
                route = outer.routes.get(parts.path)
                reply = route(req) if route else Reply(404, b"{}")
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def static(self, path: str, body: bytes, content_type: str = "application/json") -> None:
        self.routes[path] = lambda _r: Reply(200, body, content_type)

    def settings(self, home: Path, **extra: object) -> Settings:
        values: dict[str, object] = {
            "home": home,
            "fetch_allow_hosts": [f"127.0.0.1:{self.port}"],
            "fetch_host_delay_s": 0,
            "fetch_backoff_s": 0.01,
            "fetch_max_retries": 0,
            "fetch_read_timeout_s": 2.0,
            "fetch_total_timeout_s": 5.0,
        }
        values.update(extra)
        return get_settings(**values)


@contextmanager
def serve() -> Iterator[Server]:
    server = Server()
    with running(server.server):
        yield server
