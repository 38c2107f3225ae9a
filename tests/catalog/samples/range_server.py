"""A real file server on 127.0.0.1 that honours (or ignores) ``Range: bytes=a-b`` requests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.http_thread import running

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


class FileServer:
    """Serves ``files[path] = (body, content type)``; ``ranges`` says whether Range is honoured."""

    def __init__(self, ranges: bool = True) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.ranges = ranges
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append({"path": self.path, **dict(self.headers)})
                if self.path not in outer.files:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body, media = outer.files[self.path]
                match = _RANGE.match(self.headers.get("Range", ""))
                status, total = 200, len(body)
                if outer.ranges and match:
                    start = int(match.group(1))
                    end = min(int(match.group(2) or total - 1), total - 1)
                    body, status = body[start : end + 1], 206
                self.send_response(status)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(body)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{end}/{total}")
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.base = f"http://{self.host}"


@contextmanager
def serve_files(ranges: bool = True) -> Iterator[FileServer]:
    server = FileServer(ranges)
    with running(server.server):
        yield server
