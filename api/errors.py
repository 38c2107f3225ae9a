"""One error path: every exception becomes one :class:`ErrorAnswer`, rendered by route kind.

- :func:`answer_for` is the one mapping from an exception to ``(status, body)``: a
  :class:`~catalog.errors.DatalabError` keeps its status and fields; request validation is
  ``invalid_input`` (422); an HTTP error keeps its status with a code from
  :data:`HTTP_CODES`; anything else is ``internal_error`` (500). The body is always
  :func:`catalog.errors.error_body`.
- :func:`install_error_handlers` installs it for every route. The route kind chooses the
  rendering: a :class:`HeaderRoute` answers through its own :meth:`HeaderRoute.error_response`
  (the pages render HTML with the same status and message, see :mod:`api.web.render`) and
  adds its headers; everything else gets the JSON body.
- Routes do not catch errors: a route kind's headers (private, security) are added by its
  response header step, :meth:`HeaderRoute.finish`, to answers and errors alike.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from catalog.errors import DatalabError, TooManyAttempts, error_body

log = logging.getLogger("datalab.api")

HTTP_CODES = {
    400: "invalid_input",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "limit_exceeded",
    415: "unsupported_format",
    422: "invalid_input",
}


@dataclass(frozen=True)
class ErrorAnswer:
    """An error as the client gets it: the status, the body's fields and extra headers."""

    status: int
    code: str
    message: str
    where: str | None = None
    details: Any = None
    headers: Mapping[str, str] | None = None

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.where, self.details)


def answer_for(exc: Exception) -> ErrorAnswer:
    """The one mapping from an exception to what the client is told."""
    if isinstance(exc, TooManyAttempts):
        wait = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
        return ErrorAnswer(exc.status, exc.code, exc.message, exc.where, exc.details, wait)
    if isinstance(exc, DatalabError):
        return ErrorAnswer(exc.status, exc.code, exc.message, exc.where, exc.details)
    if isinstance(exc, RequestValidationError):
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = problems[0] if problems else {"where": None, "message": "invalid request"}
        return ErrorAnswer(422, "invalid_input", str(first["message"]), first["where"], problems)
    if isinstance(exc, StarletteHTTPException):
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return ErrorAnswer(exc.status_code, code, str(exc.detail), headers=exc.headers)
    return ErrorAnswer(500, "internal_error", "the catalogue hit an unexpected error")


def json_error(answer: ErrorAnswer) -> JSONResponse:
    """The JSON rendering of an error: the one body."""
    return JSONResponse(answer.body(), status_code=answer.status, headers=answer.headers)


class HeaderRoute(APIRoute):
    """A route kind: ``headers`` on every answer, errors included; errors as JSON.

    Subclasses set ``headers`` (and ``replace_headers``: overwrite what the endpoint set, or
    only fill in what it did not) and may render errors otherwise (:meth:`error_response`).
    """

    headers: ClassVar[Mapping[str, str]] = {}
    replace_headers: ClassVar[bool] = True

    def finish(self, response: Response) -> Response:
        """The response header step of this route kind."""
        for key, value in self.headers.items():
            if self.replace_headers:
                response.headers[key] = value
            else:
                response.headers.setdefault(key, value)
        return response

    def error_response(self, request: Request, answer: ErrorAnswer) -> Response:
        return json_error(answer)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            return self.finish(await original(request))

        return handler


async def handle_error(request: Request, exc: Exception) -> Response:
    """The exception handler of every error: :func:`answer_for`, rendered by route kind."""
    answer = answer_for(exc)
    if not isinstance(exc, DatalabError | RequestValidationError | StarletteHTTPException):
        log.error("unexpected error", exc_info=exc)
    elif answer.status >= 500:
        log.warning("request failed: %s", exc)
    route = request.scope.get("route")
    if isinstance(route, HeaderRoute):
        return route.finish(route.error_response(request, answer))
    return json_error(answer)


def install_error_handlers(app: FastAPI) -> None:
    """Install :func:`handle_error` for every exception (one path for API and pages)."""
    for kind in (DatalabError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, handle_error)
