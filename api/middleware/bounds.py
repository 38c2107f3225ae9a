"""Bounds every request meets before a route reads it: header size, body size, body deadline.

* **Headers**: the request line and headers together are at most ``max_header_bytes``
  (431). The server refuses larger ones while they arrive (api/server.py); this check
  also covers a header block that arrived whole in one read.
* **Body size**: at most ``max_request_bytes``, or the cap of the route's row in
  :data:`UPLOAD_ROUTES`. A larger ``Content-Length`` is refused (413) before the route
  runs; a chunked or under-declared body is counted as it streams and refused as soon as it
  passes the cap, so no more than the cap plus one chunk is ever held.
* **Body deadline**: the whole body must arrive within ``body_timeout_seconds`` of the
  headers (``upload_timeout_seconds`` on upload routes), or the answer is 408.

Refusals use the one error body and ``Connection: close``. When a route already reading the
body turns the refusal into its own error (FastAPI answers 400 for any failure while it
parses a body), that answer is replaced by the refusal.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware.refusal import log, refuse
from catalog.errors import (
    DatalabError,
    HeadersTooLarge,
    InvalidInput,
    PayloadTooLarge,
    RequestTimeout,
)
from catalog.settings import Settings


@dataclass(frozen=True)
class UploadRoute:
    """A route whose body may be larger than ``max_request_bytes``: a file or a document.

    ``cap_setting`` names the Settings field holding its byte cap; its body deadline is
    ``upload_timeout_seconds``.
    """

    method: str
    path: re.Pattern[str]
    cap_setting: str
    what: str


#: The only routes whose bodies may exceed ``max_request_bytes``.
UPLOAD_ROUTES: tuple[UploadRoute, ...] = (
    UploadRoute(
        "PUT",
        re.compile(r"/datasets/[^/]+/sample"),
        "sample_max_upload_bytes",
        "a sample (Parquet or CSV), streamed to disk by api/routers/samples.py",
    ),
    UploadRoute(
        "POST",
        re.compile(r"/ui/steward/sample"),
        "sample_max_upload_bytes",
        "the steward page's sample form (multipart)",
    ),
    UploadRoute(
        "POST",
        re.compile(r"/ui/steward/(?:validate|form|save)"),
        "web_form_max_bytes",
        "the steward page's DCAT-AP document form (multipart)",
    ),
)


def body_limits(settings: Settings, method: str, path: str) -> tuple[int, float]:
    """Byte cap and body deadline (seconds) of one request."""
    for route in UPLOAD_ROUTES:
        if route.method == method and route.path.fullmatch(path):
            cap = getattr(settings, route.cap_setting)
            return int(cap), settings.upload_timeout_seconds
    return settings.max_request_bytes, settings.body_timeout_seconds


def _header_bytes(scope: Scope) -> int:
    line = len(scope.get("method", "")) + len(scope.get("raw_path") or b"") + 16
    line += len(scope.get("query_string") or b"")
    return line + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            if not text.isdigit():
                raise InvalidInput("Content-Length is not a number", where="Content-Length")
            return int(text)
    return None


class RequestBounds:
    """ASGI middleware applying the bounds above to every HTTP request."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap, timeout = body_limits(self.settings, scope["method"], scope["path"])
        try:
            self._check_head(scope, cap)
        except DatalabError as exc:
            await refuse(scope, send, exc)
            return
        body = _BoundedBody(receive, send, cap, time.monotonic() + timeout)
        try:
            await self.app(scope, body.receive, body.send)
        except Exception as exc:  # the app may wrap the refusal (task groups, handlers)
            if body.verdict is None:
                raise
            log.debug("the app stopped after a refusal: %r", exc)
        if body.verdict is not None and not body.started:
            await refuse(scope, send, body.verdict)

    def _check_head(self, scope: Scope, cap: int) -> None:
        limit = self.settings.max_header_bytes
        if _header_bytes(scope) > limit:
            raise HeadersTooLarge(
                f"the request line and headers exceed {limit} bytes",
                where="headers",
                details={"limit": limit},
            )
        declared = _declared_length(scope)
        if declared is not None and declared > cap:
            raise PayloadTooLarge(
                f"the request body of {declared} bytes exceeds this route's limit of {cap} bytes",
                where="body",
                details={"limit": cap, "declared": declared},
            )


class _BoundedBody:
    """One request's ``receive`` with a byte count and a deadline, and its ``send``."""

    def __init__(self, receive: Receive, send: Send, cap: int, deadline: float) -> None:
        self._receive = receive
        self._send = send
        self.cap = cap
        self.deadline = deadline
        self.received = 0
        self.complete = False
        self.verdict: DatalabError | None = None
        self.started = False  # the client has seen a response start
        self.muted = False  # the app's own answer to the refusal is being dropped

    async def receive(self) -> Message:
        if self.verdict is not None:
            raise self.verdict
        if self.complete:  # only http.disconnect is left to wait for: no deadline
            return await self._receive()
        try:
            with anyio.fail_after(max(self.deadline - time.monotonic(), 0)):
                message = await self._receive()
        except TimeoutError:
            self.verdict = RequestTimeout("the request body did not arrive in time", where="body")
            raise self.verdict from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.cap:
                self.verdict = PayloadTooLarge(
                    f"the request body exceeds this route's limit of {self.cap} bytes",
                    where="body",
                    details={"limit": self.cap},
                )
                raise self.verdict
            self.complete = not message.get("more_body", False)
        elif message["type"] == "http.disconnect":
            self.complete = True
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start" and self.verdict is not None:
            self.muted = True  # the app answered the refusal in its own words
        if self.muted:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)
