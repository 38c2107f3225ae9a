"""Server-side sessions of the web pages, in the operational database (``web_sessions``).

Only each session id's SHA-256 is kept, with the user, an expiry and the session's CSRF
token; see :mod:`api.web.session` for the cookies and the CSRF checks. Every API replica on
the same database sees the same sessions: a browser signed in through one is signed in on
all. Sessions of a catalogue from before the database (``<home>/web_sessions.sqlite3``) are
imported once, on first open (:mod:`catalog.db.legacy_tables`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from catalog.db import Database
from catalog.db.legacy_tables import LegacyTable, import_legacy_tables
from catalog.db.schema import web_sessions

#: Where catalogues from before the operational database kept their sessions.
LEGACY_FILE = "web_sessions.sqlite3"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    """A signed-in browser: who, and the CSRF token of their forms."""

    user: str
    csrf: str


class SessionStore:
    """Server-side sessions of the web pages.

    ``SessionStore(database, hours)`` keeps them in an open :class:`~catalog.db.Database`
    (the app's); ``SessionStore(path, hours)`` opens the embedded SQLite file at ``path``.
    """

    def __init__(self, database: Database | Path, hours: float) -> None:
        if isinstance(database, Path):
            database = Database.sqlite(database)
        self.database = database
        self.lifetime = timedelta(hours=hours)
        if database.home is not None:
            legacy = database.home / LEGACY_FILE
            table = LegacyTable("sessions", web_sessions, "digest")
            import_legacy_tables(database, legacy, [table], "web sessions")

    def create(self, user: str) -> tuple[str, Session]:
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        row = {
            "digest": _digest(sid),
            "user": user,
            "csrf": csrf,
            "expires": (now + self.lifetime).isoformat(),
        }
        with self.database.transaction() as db:
            db.execute(web_sessions.delete().where(web_sessions.c.expires < now.isoformat()))
            db.execute(web_sessions.insert().values(row))
        return sid, Session(user, csrf)

    def get(self, sid: str | None) -> Session | None:
        if not sid or len(sid) > 200:
            return None
        columns = (web_sessions.c.user, web_sessions.c.csrf, web_sessions.c.expires)
        query = sa.select(*columns).where(web_sessions.c.digest == _digest(sid))
        with self.database.read() as db:
            row = db.execute(query).first()
        if row is None or datetime.fromisoformat(row[2]) <= datetime.now(UTC):
            return None
        return Session(row[0], row[1])

    def delete(self, sid: str | None) -> None:
        if sid:
            with self.database.transaction() as db:
                db.execute(web_sessions.delete().where(web_sessions.c.digest == _digest(sid)))

    def end_user(self, user: str, keep: str | None = None) -> int:
        """End every session of ``user`` but the one with id ``keep`` (their password
        changed: whoever else had it is signed out); how many ended."""
        query = web_sessions.delete().where(web_sessions.c.user == user)
        if keep:
            query = query.where(web_sessions.c.digest != _digest(keep))
        with self.database.transaction() as db:
            return int(db.execute(query).rowcount)
