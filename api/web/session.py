"""Browser sessions and CSRF protection for the web pages.

A session is a random id in a Secure, HttpOnly, SameSite=Strict cookie; the server keeps
only its SHA-256 (``<home>/web_sessions.sqlite3``) with the user, an expiry and the
session's CSRF token. Signing in rotates the id; signing out deletes the row. Every form
POST carries a ``csrf`` field that must equal the session's token (or, before sign-in, the
value of a separate CSRF cookie: the double-submit pattern), and a cross-site ``Origin``
is refused outright. Every failed sign-in is counted against the client's address
(api/middleware/throttle.py): past the limit, the sign-in form answers 429.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request, Response
from starlette.datastructures import FormData

from api.auth import ANONYMOUS, Principal, get_accounts
from api.middleware.refusal import client_address
from api.middleware.throttle import AuthThrottle
from catalog.accounts import User
from catalog.errors import DatalabError, Forbidden, LimitExceeded, Unauthorized

SESSION_COOKIE = "datalab_session"
CSRF_COOKIE = "datalab_csrf"
_SCHEMA = """CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL, expires TEXT NOT NULL)"""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    """A signed-in browser: who, and the CSRF token of their forms."""

    user: str
    csrf: str


class SessionStore:
    """Server-side sessions of the web pages."""

    def __init__(self, path: Path, hours: float) -> None:
        self.path = path
        self.lifetime = timedelta(hours=hours)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def create(self, user: str) -> tuple[str, Session]:
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = (datetime.now(UTC) + self.lifetime).isoformat()
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (datetime.now(UTC).isoformat(),))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)", (_digest(sid), user, csrf, expires)
            )
        return sid, Session(user, csrf)

    def get(self, sid: str | None) -> Session | None:
        if not sid or len(sid) > 200:
            return None
        with self._db() as db:
            row = db.execute(
                "SELECT user, csrf, expires FROM sessions WHERE digest = ?", (_digest(sid),)
            ).fetchone()
        if row is None or datetime.fromisoformat(row[2]) <= datetime.now(UTC):
            return None
        return Session(row[0], row[1])

    def delete(self, sid: str | None) -> None:
        if sid:
            with self._db() as db:
                db.execute("DELETE FROM sessions WHERE digest = ?", (_digest(sid),))


def sessions(request: Request) -> SessionStore:
    state = request.app.state
    store = getattr(state, "web_sessions", None)
    if store is None:
        settings = state.settings
        store = SessionStore(settings.home / "web_sessions.sqlite3", settings.web_session_hours)
        state.web_sessions = store
    return store


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
        user = get_accounts(request).user(session.user)
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
        secure=request.app.state.settings.web_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def finish(request: Request, response: Response) -> Response:
    """Set the pre-sign-in CSRF cookie when this page minted one."""
    new = request.scope.get("web_new_csrf")
    if new and current_session(request) is None:
        _cookie(response, request, CSRF_COOKIE, new, 3600 * 24)
    return response


def sign_in(request: Request, name: str, token: str) -> User:
    """The user ``token`` belongs to, if that is ``name``; each failure is counted against
    the client's address (:class:`Unauthorized` either way, naming neither part)."""
    try:
        user = get_accounts(request).authenticate(token)
        if user.name != name:
            raise Unauthorized("wrong user")
    except DatalabError:
        throttle: AuthThrottle = request.app.state.auth_throttle
        throttle.failed(client_address(request.scope), f"{name}\n{token}")
        raise
    return user


def start_session(request: Request, response: Response, user: str) -> None:
    """Sign ``user`` in: a fresh session id (never the one sent before), the old one dropped."""
    store = sessions(request)
    store.delete(request.cookies.get(SESSION_COOKIE))
    sid, _ = store.create(user)
    _cookie(response, request, SESSION_COOKIE, sid, int(store.lifetime.total_seconds()))


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
