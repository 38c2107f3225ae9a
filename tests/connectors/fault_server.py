"""A real loopback HTTP server with routes that inject faults, for the fetcher's tests.

Routes: /ok, /html, /echo, /slowok?s=, /hang, /slowloris (1 byte/s), /truncated
(Content-Length larger than the body), /reset (RST mid-body), /status?code=&retry_after=,
/flaky?fail=&code=&retry_after= (fails ``fail`` times, then /ok), /big?n=&chunked=, /gzip,
/gzip-bomb, /redirect?to=&code=, /chain/N (N hops to /ok), /loop/a <-> /loop/b.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import json
import socket
import ssl
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TURTLE = b"@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<https://ex.org/d> a dcat:Dataset .\n"
HTML = b"<!doctype html><html><body><h1>Please log in</h1></body></html>"


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """A small gzip body that inflates to ``size`` zero bytes."""
    return gzip.compress(b"\0" * size, compresslevel=9)


class FaultServer:
    """A threaded HTTP server on 127.0.0.1 with a free port; counts hits per path."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.hits: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.seen_headers: list[dict[str, str]] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.bomb = gzip_bomb(20 * 1024 * 1024)
        handler = type("Handler", (_Handler,), {"fault_server": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.scheme = "https" if ssl_context else "http"
        if ssl_context:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def start(self) -> FaultServer:
        self.thread.start()
        return self

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    fault_server: FaultServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def handle(self) -> None:
        # a client that refuses our test certificate hangs up mid-handshake
        with contextlib.suppress(ssl.SSLError, ConnectionResetError):
            super().handle()

    def _send(self, status: int, body: bytes, ctype: str = "text/turtle", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _head(self, length: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def do_GET(self) -> None:
        srv = self.fault_server
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with srv.lock:
            srv.hits[parts.path] += 1
            count = srv.hits[parts.path]
            srv.in_flight += 1
            srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
            srv.seen_headers.append(dict(self.headers.items()))
        try:
            self._route(srv, parts.path, query, count)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with srv.lock:
                srv.in_flight -= 1

    def _route(self, srv: FaultServer, path: str, query: dict[str, str], count: int) -> None:
        retry_after = {"Retry_After": query["retry_after"]} if "retry_after" in query else {}
        if path == "/ok":
            self._send(200, TURTLE, "text/turtle; charset=utf-8")
        elif path == "/html":
            self._send(200, HTML, "text/html; charset=utf-8")
        elif path == "/echo":
            self._send(200, json.dumps(dict(self.headers.items())).encode(), "application/json")
        elif path == "/slowok":
            time.sleep(float(query.get("s", "0.3")))
            self._send(200, TURTLE)
        elif path == "/hang":
            srv.stop.wait(30)
        elif path == "/slowloris":
            self._head(1000)
            for _ in range(1000):
                if srv.stop.wait(1.0):
                    return
                self.wfile.write(b"#")
                self.wfile.flush()
        elif path == "/truncated":
            self._head(1000)
            self.wfile.write(TURTLE)
            self.wfile.flush()
            self.close_connection = True
        elif path == "/reset":
            self._head(100_000)
            self.wfile.write(b"#" * 500)
            self.wfile.flush()
            linger = struct.pack("ii", 1, 0)  # RST on close
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.connection.close()
            self.close_connection = True
        elif path == "/status":
            self._send(int(query["code"]), b"error", "text/plain", **retry_after)
        elif path == "/flaky":
            if count <= int(query.get("fail", "1")):
                self._send(int(query.get("code", "503")), b"busy", "text/plain", **retry_after)
            else:
                self._send(200, TURTLE)
        elif path == "/big":
            self._big(b"#" * int(query.get("n", "5000")), chunked=bool(query.get("chunked")))
        elif path == "/gzip":
            self._send(200, gzip.compress(TURTLE), Content_Encoding="gzip")
        elif path == "/gzip-bomb":
            self._send(200, srv.bomb, Content_Encoding="gzip")
        elif path == "/redirect":
            self._send(int(query.get("code", "302")), b"", "text/plain", Location=query["to"])
        elif path.startswith("/chain/"):
            left = int(path.rsplit("/", 1)[-1])
            self._send(302, b"", "text/plain", Location=f"/chain/{left - 1}" if left else "/ok")
        elif path in ("/loop/a", "/loop/b"):
            self._send(
                302, b"", "text/plain", Location="/loop/b" if path.endswith("a") else "/loop/a"
            )
        else:
            self._send(404, b"not found", "text/plain")

    def _big(self, body: bytes, *, chunked: bool) -> None:
        if not chunked:
            self._send(200, body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/turtle")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 1000):
            piece = body[start : start + 1000]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")
