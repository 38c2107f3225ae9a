"""Browser sessions and CSRF protection for the web pages.

A session is a random id in a Secure, HttpOnly, SameSite=Strict cookie; the server keeps
only its SHA-256 (table ``web_sessions`` of the operational database, shared by every
replica) with the user, an expiry and the session's CSRF token. Signing in rotates the
id; signing out deletes the row. Every form POST carries a ``csrf`` field that must equal
the session's token (or, before sign-in, the value of a separate CSRF cookie: the
double-submit pattern), and a cross-site ``Origin`` is refused outright. Every failed
sign-in is counted against the client's address (api/middleware/throttle.py): past the
limit, the sign-in form answers 429.

People sign in with their user name and password, or with an API token; after signing in
they return to the page they came from (:func:`local_next`: a page of this site under
``/ui/``, with its query, and nothing else).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response
from starlette.datastructures import FormData

from api.auth import ANONYMOUS, Principal
from api.deps import get_services
from api.middleware.refusal import client_address
from api.web.session_store import Session, SessionStore
from catalog.accounts import User
from catalog.errors import (
    DatalabError,
    Forbidden,
    LimitExceeded,
    TooManyAttempts,
    Unauthorized,
)

SESSION_COOKIE = "datalab_session"
CSRF_COOKIE = "datalab_csrf"


def sessions(request: Request) -> SessionStore:
    return get_services(request).web_sessions


def current_session(request: Request) -> Session | None:
    if "web_session" not in request.scope:
        request.scope["web_session"] = sessions(request).get(request.cookies.get(SESSION_COOKIE))
    return request.scope["web_session"]  # type: ignore[no-any-return]


def web_principal(request: Request) -> Principal:
    """The signed-in user of this browser, or the anonymous principal."""
    session = current_session(request)
    if session is None:
        return ANONYMOUS
    try:
        user = get_services(request).accounts.user(session.user)
    except DatalabError:
        return ANONYMOUS
    return Principal(user.name, user.role, user.organisation, user.factory)


def csrf_token(request: Request) -> str:
    """The token forms on this page must send back."""
    session = current_session(request)
    if session is not None:
        return session.csrf
    token = request.cookies.get(CSRF_COOKIE) or request.scope.get("web_new_csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.scope["web_new_csrf"] = token
    return token


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=get_services(request).settings.web_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def finish(request: Request, response: Response) -> Response:
    """Set the pre-sign-in CSRF cookie when this page minted one."""
    new = request.scope.get("web_new_csrf")
    if new and current_session(request) is None:
        _cookie(response, request, CSRF_COOKIE, new, 3600 * 24)
    return response


#: Where a sign-in returns to when it was not told (or was told something unsafe).
HOME = "/ui/search"
_NEXT_MAX_CHARS = 2000


def local_next(value: object) -> str:
    """``value`` if it is a page of this site (a path under ``/ui/``, with its query),
    else :data:`HOME`: never an open redirect. Refused: absolute URLs and scheme-relative
    ``//host``, backslashes (browsers read them as slashes), whitespace and control
    characters, other paths of this site, the sign-in pages themselves, and anything longer
    than 2000 characters."""
    text = value if isinstance(value, str) else ""
    if (
        not text
        or len(text) > _NEXT_MAX_CHARS
        or not (text == "/ui" or text.startswith(("/ui/", "/ui?")))
        or text.startswith("//")
        or text.startswith(("/ui/login", "/ui/logout"))
        or "\\" in text
        or any(ch.isspace() or not ch.isprintable() for ch in text)
    ):
        return HOME
    parts = urlsplit(text)
    if parts.scheme or parts.netloc or parts.fragment:
        return HOME
    return text


def failed_sign_in(request: Request, credential: str) -> None:
    """Count one failed sign-in (or a wrong current password) against the client."""
    get_services(request).throttle.failed(client_address(request.scope), credential)


def refuse_if_throttled(request: Request) -> None:
    """429 when the client's address is past its failure limit: the sign-in form and the
    password change check it themselves, so a person gets the error page, not JSON."""
    wait = get_services(request).throttle.retry_after(client_address(request.scope))
    if wait is not None:
        raise TooManyAttempts(
            "too many failed sign-ins or passwords from your address; try again later",
            retry_after=wait,
            where="password",
        )


def sign_in(
    request: Request, name: str, *, password: str | None = None, token: str | None = None
) -> User:
    """The user ``name``, if ``password`` is theirs (or ``token`` belongs to them); each
    failure is counted against the client's address (:class:`Unauthorized` either way,
    naming neither part)."""
    accounts = get_services(request).accounts
    try:
        if token is not None:
            user = accounts.authenticate(token)
            if user.name != name:
                raise Unauthorized("wrong user")
        else:
            user = accounts.check_password(name, password or "")
    except DatalabError:
        failed_sign_in(request, f"{name}\n{token if token is not None else password}")
        raise
    return user


def start_session(request: Request, response: Response, user: str) -> None:
    """Sign ``user`` in: a fresh session id (never the one sent before), the old one dropped."""
    store = sessions(request)
    store.delete(request.cookies.get(SESSION_COOKIE))
    sid, _ = store.create(user)
    _cookie(response, request, SESSION_COOKIE, sid, int(store.lifetime.total_seconds()))


def end_other_sessions(request: Request, user: str) -> int:
    """Sign ``user`` out of every browser but this one; how many were signed out."""
    return sessions(request).end_user(user, keep=request.cookies.get(SESSION_COOKIE))


def end_session(request: Request, response: Response) -> None:
    sessions(request).delete(request.cookies.get(SESSION_COOKIE))
    response.delete_cookie(SESSION_COOKIE, path="/")


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def checked_form(request: Request, max_bytes: int = 1024**2) -> FormData:
    """The POSTed form, after the CSRF and same-origin checks (403 when either fails)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise LimitExceeded(f"the form is larger than {max_bytes} bytes", where="form")
    form = await request.form(max_files=1, max_fields=200, max_part_size=max_bytes)
    sent = form.get("csrf")
    session = current_session(request)
    expected = session.csrf if session is not None else request.cookies.get(CSRF_COOKIE)
    if (
        not _same_origin(request)
        or not isinstance(sent, str)
        or not expected
        or not hmac.compare_digest(sent, expected)
    ):
        await form.close()
        raise Forbidden(
            "the form's security token is missing or stale: reload the page", where="csrf"
        )
    return form
