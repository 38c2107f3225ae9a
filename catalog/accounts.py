"""Users, roles, API tokens, per-dataset grants and an append-only audit log (SQLite).

Tokens are ``dlt_<id>_<secret>``: only a SHA-256 of the secret is stored, the token is shown
once at creation, expires, and can be revoked. The audit table refuses UPDATE and DELETE
through triggers, so the log can only grow.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from catalog.errors import Conflict, InvalidInput, NotFound, Unauthorized
from catalog.field_limits import FieldLimits

ROLES = ("developer", "steward", "staff", "admin")
TOKEN_PREFIX = "dlt"  # noqa: S105  (a public prefix, not a secret)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, organisation TEXT, factory TEXT,
    created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name), digest TEXT NOT NULL,
    created TEXT NOT NULL, expires TEXT NOT NULL, revoked TEXT);
CREATE TABLE IF NOT EXISTS grants (
    user TEXT NOT NULL REFERENCES users(name), dataset_id TEXT NOT NULL, granted TEXT NOT NULL,
    PRIMARY KEY (user, dataset_id));
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT, action TEXT NOT NULL,
    dataset_id TEXT, outcome TEXT NOT NULL, detail TEXT);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


@dataclass(frozen=True)
class User:
    """A registered user and the role they act in."""

    name: str
    role: str
    organisation: str | None
    factory: str | None


def _now() -> datetime:
    return datetime.now(UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Accounts:
    """The accounts database of one catalogue (``<home>/accounts.sqlite3``).

    ``limits`` bound the user names, organisations and factories it stores (default: the
    settings' defaults; the API passes ``FieldLimits.from_settings``).
    """

    def __init__(self, path: Path, limits: FieldLimits | None = None) -> None:
        self.path = path
        self.limits = limits or FieldLimits()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA journal_mode=WAL")
            yield db
        finally:
            db.close()

    # -- users and tokens ------------------------------------------------------------------

    def add_user(
        self, name: str, role: str, organisation: str | None = None, factory: str | None = None
    ) -> User:
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}; known: {', '.join(ROLES)}", where="role")
        name = self.limits.name(name, "name")
        if not name or any(ch.isspace() for ch in name):
            raise InvalidInput("a user name is 1 or more characters without spaces", where="name")
        organisation, factory = self._affiliation(organisation, factory)
        try:
            with self._db() as db:
                db.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
                    (name, role, organisation, factory, _now().isoformat()),
                )
        except sqlite3.IntegrityError:
            raise Conflict(f"user {name!r} exists already", where="name") from None
        return User(name, role, organisation, factory)

    def user(self, name: str) -> User:
        with self._db() as db:
            row = db.execute(
                "SELECT name, role, organisation, factory FROM users WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            raise NotFound(f"no user {name!r}", where="user")
        return User(*row)

    def issue_token(self, name: str, days: float = 90) -> str:
        """A new token for ``name``; the only time the token is ever shown."""
        self.user(name)
        if days <= 0:
            raise InvalidInput("a token lives a positive number of days", where="days")
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        created = _now()
        with self._db() as db:
            db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, NULL)",
                (
                    token_id,
                    name,
                    _digest(secret),
                    created.isoformat(),
                    (created + timedelta(days=days)).isoformat(),
                ),
            )
        return f"{TOKEN_PREFIX}_{token_id}_{secret}"

    def revoke_token(self, token: str) -> None:
        token_id = self._split(token)[0]
        with self._db() as db:
            db.execute("UPDATE tokens SET revoked = ? WHERE id = ?", (_now().isoformat(), token_id))

    def revoke_token_id(self, token_id: str, name: str | None = None) -> bool:
        """Revoke a token by its public id (of ``name`` when given); False if none matched."""
        sql, args = "UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL", [token_id]
        if name is not None:
            sql, args = sql + " AND user = ?", [token_id, name]
        with self._db() as db:
            cur = db.execute(sql, (_now().isoformat(), *args))
        return cur.rowcount > 0

    def users(self) -> list[User]:
        """Every registered user, by name."""
        with self._db() as db:
            rows = db.execute(
                "SELECT name, role, organisation, factory FROM users ORDER BY name"
            ).fetchall()
        return [User(*r) for r in rows]

    def tokens(self, name: str) -> list[dict[str, Any]]:
        """A user's tokens without secrets: id, created, expires, revoked."""
        self.user(name)
        with self._db() as db:
            rows = db.execute(
                "SELECT id, created, expires, revoked FROM tokens WHERE user = ? ORDER BY created",
                (name,),
            ).fetchall()
        return [dict(zip(("id", "created", "expires", "revoked"), r, strict=True)) for r in rows]

    def set_role(
        self, name: str, role: str, organisation: str | None = None, factory: str | None = None
    ) -> User:
        """Change a user's role (and organisation or factory); audited."""
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}; known: {', '.join(ROLES)}", where="role")
        organisation, factory = self._affiliation(organisation, factory)
        before = self.user(name)
        with self._db() as db:
            db.execute(
                "UPDATE users SET role = ?, organisation = ?, factory = ? WHERE name = ?",
                (role, organisation, factory, name),
            )
        detail = {"user": name, "from": before.role, "to": role}
        self.audit(None, "user.role", None, "ok", detail)
        return User(name, role, organisation, factory)

    def _affiliation(
        self, organisation: str | None, factory: str | None
    ) -> tuple[str | None, str | None]:
        """The organisation (an IRI or a name) and factory, checked for length."""
        org = self.limits.text(organisation, "organisation") if organisation is not None else None
        fac = self.limits.name(factory, "factory") if factory is not None else None
        return org, fac

    @staticmethod
    def _split(token: str) -> tuple[str, str]:
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
            raise Unauthorized("malformed token")
        return parts[1], parts[2]

    def authenticate(self, token: str) -> User:
        """The user a token belongs to; :class:`Unauthorized` if bad, expired or revoked."""
        token_id, secret = self._split(token)
        with self._db() as db:
            row = db.execute(
                "SELECT user, digest, expires, revoked FROM tokens WHERE id = ?", (token_id,)
            ).fetchone()
        if row is None or not hmac.compare_digest(row[1], _digest(secret)):
            raise Unauthorized("invalid token")
        if row[3] is not None:
            raise Unauthorized("the token was revoked")
        if datetime.fromisoformat(row[2]) <= _now():
            raise Unauthorized("the token has expired")
        return self.user(row[0])

    # -- grants ----------------------------------------------------------------------------

    def grant(self, name: str, dataset_id: str) -> None:
        self.user(name)
        with self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO grants VALUES (?, ?, ?)",
                (name, dataset_id, _now().isoformat()),
            )
        self.audit(None, "grant.add", dataset_id, "ok", {"user": name})

    def revoke(self, name: str, dataset_id: str) -> bool:
        with self._db() as db:
            cur = db.execute(
                "DELETE FROM grants WHERE user = ? AND dataset_id = ?", (name, dataset_id)
            )
        self.audit(None, "grant.revoke", dataset_id, "ok", {"user": name})
        return cur.rowcount > 0

    def has_grant(self, name: str | None, dataset_id: str) -> bool:
        if name is None:
            return False
        with self._db() as db:
            row = db.execute(
                "SELECT 1 FROM grants WHERE user = ? AND dataset_id = ?", (name, dataset_id)
            ).fetchone()
        return row is not None

    # -- audit -----------------------------------------------------------------------------

    def audit(
        self,
        actor: str | None,
        action: str,
        dataset_id: str | None,
        outcome: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO audit (at, actor, action, dataset_id, outcome, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    _now().isoformat(),
                    actor,
                    action,
                    dataset_id,
                    outcome,
                    json.dumps(detail or {}, ensure_ascii=False),
                ),
            )

    def audit_log(self, dataset_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT seq, at, actor, action, dataset_id, outcome, detail FROM audit"
        args: tuple[str, ...] = ()
        if dataset_id is not None:
            sql += " WHERE dataset_id = ?"
            args = (dataset_id,)
        with self._db() as db:
            rows = db.execute(sql + " ORDER BY seq", args).fetchall()
        keys = ("seq", "at", "actor", "action", "dataset_id", "outcome", "detail")
        return [dict(zip(keys, r, strict=True)) | {"detail": json.loads(r[6])} for r in rows]


def accounts_path(home: Path) -> Path:
    return home / "accounts.sqlite3"
