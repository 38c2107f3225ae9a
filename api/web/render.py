"""Rendering: one autoescaping Jinja2 environment, security headers and friendly errors.

Every page is server-rendered from ``templates/``; every value is escaped (autoescape on
for every template), links to outside resources are emitted only for http(s) URLs, and
JSON-LD is serialised with ``<``, ``>`` and ``&`` as JSON escapes so it can never close its
``<script>`` element. The Content-Security-Policy allows only this site's own CSS and JS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from markupsafe import Markup

from api.errors import ErrorAnswer, HeaderRoute
from api.web.labels import label
from api.web.session import csrf_token, finish, web_principal
from catalog.federation.schema_org import script_json

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "private, no-store",
}


def safe_url(value: object) -> str | None:
    """``value`` if it is an http(s) URL (never ``javascript:`` or ``data:``), else None."""
    text = str(value or "")
    return text if urlsplit(text).scheme in ("http", "https") else None


def json_ld(value: Any) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` block that cannot break out."""
    return Markup(script_json(value, indent=1))  # noqa: S704  (markup characters escaped)


def query(params: dict[str, Any], **changes: Any) -> str:
    """A query string from ``params`` with ``changes`` applied (None removes a key)."""
    merged = {**params, **changes}
    pairs = []
    for key, value in merged.items():
        if value is None or value == "":
            continue
        for v in value if isinstance(value, list) else [value]:
            pairs.append((key, v))
    return urlencode(pairs)


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["safe_url"] = safe_url
_env.filters["json_ld"] = json_ld
_env.globals["query"] = query


@pass_context
def _label_filter(context: Context, value: object, kind: str | None = None) -> str:
    """``{{ code | label }}`` or ``{{ code | label('theme') }}``, in the page's language
    (``label_lang`` when the page sets it apart from ``lang``, the language of its content),
    with the labels the shown record gives its own IRIs (``record_labels``) as a fallback."""
    lang = context.get("label_lang") or context.get("lang") or "en"
    return label(value, kind, str(lang), context.get("record_labels"))


_env.filters["label"] = _label_filter


def add_global(name: str, value: Any) -> None:
    """Make ``value`` callable from every template (page modules register their helpers,
    e.g. the "Add to basket" form's choices; ``request`` is in every page's context)."""
    _env.globals[name] = value


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the visitor, the CSRF token and the security headers; ``path``
    is the page's path, ``here`` its path and query (where signing in returns to)."""
    principal = web_principal(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    body = _env.get_template(template).render(
        me=principal,
        csrf=csrf_token(request),
        path=request.url.path,
        here=here,
        request=request,
        **context,
    )
    response = HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)
    return finish(request, response)  # type: ignore[return-value]


class WebRoute(HeaderRoute):
    """Routes of the pages: the security headers on every answer (where the page did not
    set its own); an error is the error page, with the error's status and message."""

    headers = SECURITY_HEADERS
    replace_headers = False

    def error_response(self, request: Request, answer: ErrorAnswer) -> Response:
        response = render(request, "error.html", answer.status, error=answer)
        response.headers.update(answer.headers or {})
        return response
