"""One handler, one error body: every error leaves the API as ``{"error": {...}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from catalog.errors import DatalabError

log = logging.getLogger("datalab.api")

_HTTP_CODES = {
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


def error_body(code: str, message: str, where: str | None = None, details: object = None) -> dict:
    return {"error": {"code": code, "message": message, "where": where, "details": details}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DatalabError)
    async def _datalab(_: Request, exc: DatalabError) -> JSONResponse:
        if exc.status >= 500:
            log.warning("request failed: %s", exc)
        return JSONResponse(exc.to_body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = problems[0] if problems else {"where": None, "message": "invalid request"}
        return JSONResponse(
            error_body("invalid_input", first["message"], first["where"], problems),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return JSONResponse(
            error_body("internal_error", "the catalogue hit an unexpected error"),
            status_code=500,
        )
