"""Server-side sessions of the web pages (``<home>/web_sessions.sqlite3``).

Only each session id's SHA-256 is kept, with the user, an expiry and the session's CSRF
token; see :mod:`api.web.session` for the cookies and the CSRF checks.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
