"""The answer of a middleware that refuses a request before (or instead of) any route.

It is the one error body (``{"error": {"code", "message", "where", "details"}}``) of
:class:`catalog.errors.DatalabError`, never cached, with ``Retry-After`` when the error
carries one. ``Connection: close`` tells the server not to read (or wait for) the rest of a
body the catalogue has decided not to take.
"""

from __future__ import annotations

import json
import logging
import math

from starlette.types import Scope, Send

from catalog.errors import DatalabError, TooManyAttempts

log = logging.getLogger("datalab.api")


def client_address(scope: Scope) -> str:
    """The peer's address as the server saw it (after uvicorn's trusted proxy headers)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def refuse(scope: Scope, send: Send, exc: DatalabError, *, close: bool = True) -> None:
    """Send ``exc`` as the whole response."""
    body = json.dumps(exc.to_body(), ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"cache-control", b"no-store"),
    ]
    if close:
        headers.append((b"connection", b"close"))
    if isinstance(exc, TooManyAttempts):
        headers.append((b"retry-after", str(max(1, math.ceil(exc.retry_after))).encode("ascii")))
    log.info(
        "refused %s %s from %s: %s %s",
        scope.get("method"),
        scope.get("path"),
        client_address(scope),
        exc.status,
        exc.code,
    )
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
