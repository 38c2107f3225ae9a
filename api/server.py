"""The HTTP server of ``datalab serve`` and ``datalab demo``: uvicorn, bounded.

uvicorn gives a keep-alive timeout, a cap on open connections (``limit_concurrency``,
503 past it), the listen backlog and a cap on an incomplete request head
(``h11_max_incomplete_event_size``); all four come from the settings here. It has no
deadline for the request head itself, so one slow client per socket (slowloris) can hold
connections for as long as it trickles bytes. :class:`GuardedH11Protocol` adds it:

* each connection gets ``header_timeout_seconds`` from when it opens, and each kept-alive
  request from its first byte, to deliver a complete request line and headers; the
  deadline is not renewed by further bytes;
* past it, a connection that sent part of a request gets a 408 in the one error body and
  is closed; one that sent nothing (an idle pre-connect) is just closed;
* the same deadline bounds a body still arriving after the answer was sent (a route that
  did not read it), which would otherwise keep the connection as long as bytes trickle;
* a head larger than ``max_header_bytes`` is answered 431 (uvicorn answers 400).

Body deadlines and sizes are the ASGI middleware's (api/middleware/bounds.py), which sees
the route. Per-address connection caps belong in the reverse proxy in front.

The listening socket is bound by :func:`listen` before the app is built, so the settings the
app gets name the port clients reach: with ``port = 0`` the system picks a free port, and a
derived ``public_url`` (and catalogue IRI) carry it instead of ``:0``.
"""

from __future__ import annotations

import asyncio
import http
import json
import logging
import resource
import socket
from typing import Any, ClassVar

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from catalog.errors import ConfigurationError, DatalabError, HeadersTooLarge, RequestTimeout
from catalog.settings import Settings

log = logging.getLogger("datalab.server")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head deadline and a 431 for large heads.

    Use :func:`guarded_protocol` to get a subclass bound to the settings' values.
    """

    header_timeout: ClassVar[float] = 10.0
    max_header_bytes: ClassVar[int] = 16 * 1024

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_deadline: asyncio.TimerHandle | None = None
        self._head_started = False
        super().connection_made(transport)
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self._head_started = True
            if self._head_deadline is None:  # the first byte of a kept-alive request
                self._arm_head_deadline()
        super().data_received(data)
        if not self._waiting_on_client():
            self._disarm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may start the next, pipelined request
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE:
            self._head_started = bool(self.conn.trailing_data[0])
        if self._waiting_on_client() and (
            self._head_started or self.conn.their_state is h11.SEND_BODY
        ):
            self._arm_head_deadline()

    def send_400_response(self, msg: str) -> None:
        if len(self.conn.trailing_data[0]) > self.max_header_bytes:
            limit = self.max_header_bytes
            exc = HeadersTooLarge(
                f"the request line and headers exceed {limit} bytes",
                where="headers",
                details={"limit": limit},
            )
            self._send_error(exc)
            return
        super().send_400_response(msg)

    # -- the deadline ------------------------------------------------------------------------

    def _waiting_on_client(self) -> bool:
        """Whether only the client can move this connection on: its request head is not
        complete, or it is still sending a body after the answer was sent (a route that did
        not read it)."""
        state = self.conn.their_state
        if state is h11.IDLE:
            return True
        answered = self.cycle is not None and self.cycle.response_complete
        return state is h11.SEND_BODY and answered

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        self._head_deadline = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if self.transport.is_closing() or not self._waiting_on_client():
            return
        if self.conn.their_state is not h11.IDLE or not self._head_started:
            self.transport.close()  # idle, or an unread body: nothing left to answer
            return
        exc = RequestTimeout(
            f"the request line and headers did not arrive within {self.header_timeout:g} s",
            where="headers",
        )
        self._send_error(exc)

    def _send_error(self, exc: DatalabError) -> None:
        """Answer ``exc`` in the one error body and close the connection."""
        body = json.dumps(exc.to_body()).encode("utf-8")
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
        ]
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "unknown"
        log.info("refused a request from %s: %s %s", client, exc.status, exc.code)
        try:
            reason = http.HTTPStatus(exc.status).phrase.encode("ascii")
            response = h11.Response(status_code=exc.status, headers=headers, reason=reason)
            output = self.conn.send(response)
            output = (output or b"") + (self.conn.send(h11.Data(data=body)) or b"")
            output += self.conn.send(h11.EndOfMessage()) or b""
            self.transport.write(output)
        except h11.LocalProtocolError:
            pass  # the connection is in a state that cannot take a response: just close
        self.transport.close()


def guarded_protocol(settings: Settings) -> type[GuardedH11Protocol]:
    """A :class:`GuardedH11Protocol` bound to the settings' head deadline and size."""
    attrs: dict[str, Any] = {
        "header_timeout": settings.header_timeout_seconds,
        "max_header_bytes": settings.max_header_bytes,
    }
    return type("GuardedH11Protocol", (GuardedH11Protocol,), attrs)


def server_config(app: Any, settings: Settings) -> uvicorn.Config:
    """The uvicorn configuration of ``datalab serve`` for ``app``."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        http=guarded_protocol(settings),
        ws="none",  # the catalogue has no WebSocket routes
        timeout_keep_alive=settings.server_keep_alive_seconds,
        limit_concurrency=settings.server_max_connections,
        backlog=settings.server_backlog,
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )


def raise_open_files_limit(wanted: int) -> None:
    """Raise the soft open-files limit towards ``wanted`` (each connection is one file),
    within the hard limit; a soft limit of 1,024 would refuse connections well before
    ``server_max_connections``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        log.info("raised the open-files limit from %d to %d", soft, target)


def listen(settings: Settings) -> tuple[socket.socket, Settings]:
    """Bind the server's socket (as uvicorn binds one: IPv6 for an address with a colon,
    ``SO_REUSEADDR``), and the settings on the port it got (:meth:`Settings.with_port`).

    Raises :class:`ConfigurationError` when the address cannot be bound (in use, not this
    machine's)."""
    host, port = settings.host, settings.port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigurationError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            where="DATALAB_HOST/DATALAB_PORT",
        ) from exc
    sock.set_inheritable(True)
    bound = int(sock.getsockname()[1])
    return sock, settings if bound == port else settings.with_port(bound)


def serve(app: Any, settings: Settings, sock: socket.socket) -> None:
    """Run ``app`` on the socket :func:`listen` bound, until interrupted, with the bounds
    above."""
    raise_open_files_limit(settings.server_max_connections + 256)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    log.info("listening on http://%s:%d; public URL %s", shown, port, settings.public_url)
    uvicorn.Server(server_config(app, settings)).run(sockets=[sock])
