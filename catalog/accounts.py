"""Users, roles, API tokens, per-dataset grants and an append-only audit log.

They live in the operational database (:mod:`catalog.db`): the embedded SQLite file by
default, PostgreSQL when ``DATALAB_DATABASE_URL`` is set. Tokens are ``dlt_<id>_<secret>``:
only a SHA-256 of the secret is stored, the token is shown once at creation, expires, and can
be revoked. People sign in to the web pages with a password (argon2id, :mod:`catalog.passwords`;
only its hash is stored) or through the factory's OpenID Connect provider, whose identities
(issuer and subject) are linked to local users here. The audit table refuses UPDATE and DELETE
through triggers, so the log can only grow. Accounts of a catalogue from before the database
(``<home>/accounts.sqlite3``) are imported once, on first open (:mod:`catalog.db.legacy_accounts`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from catalog.db import Database, embedded_path
from catalog.db.legacy_accounts import import_legacy_accounts
from catalog.db.schema import audit as audit_table
from catalog.db.schema import grants, oidc_identities, passwords, tokens, users
from catalog.errors import Conflict, InvalidInput, NotFound, Unauthorized
from catalog.field_limits import FieldLimits
from catalog.passwords import PasswordPolicy

ROLES = ("developer", "steward", "staff", "admin")
TOKEN_PREFIX = "dlt"  # noqa: S105  (a public prefix, not a secret)

_USER_COLUMNS = (users.c.name, users.c.role, users.c.organisation, users.c.factory)


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
    """The accounts of one catalogue, in its operational database.

    ``Accounts(database)`` uses an open :class:`~catalog.db.Database` (the API and the CLI
    open it with ``Database.open(settings)``); ``Accounts(path)`` opens the embedded SQLite
    file at ``path`` (``accounts_path(home)``). ``limits`` bound the user names,
    organisations and factories it stores (default: the settings' defaults; the API passes
    ``FieldLimits.from_settings``); ``policy`` hashes and checks passwords (default: the
    settings' defaults; the API passes ``PasswordPolicy.from_settings``).
    """

    def __init__(
        self,
        database: Database | Path,
        limits: FieldLimits | None = None,
        policy: PasswordPolicy | None = None,
    ) -> None:
        if isinstance(database, Path):
            database = Database.sqlite(database)
        self.database = database
        self.limits = limits or FieldLimits()
        self.policy = policy or PasswordPolicy()
        if database.home is not None:
            import_legacy_accounts(database, legacy_accounts_path(database.home))

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
        row = {
            "name": name,
            "role": role,
            "organisation": organisation,
            "factory": factory,
            "created": _now().isoformat(),
        }
        try:
            with self.database.transaction() as db:
                db.execute(users.insert().values(row))
        except IntegrityError:
            raise Conflict(f"user {name!r} exists already", where="name") from None
        return User(name, role, organisation, factory)

    def user(self, name: str) -> User:
        with self.database.read() as db:
            row = db.execute(sa.select(*_USER_COLUMNS).where(users.c.name == name)).first()
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
        row = {
            "id": token_id,
            "user": name,
            "digest": _digest(secret),
            "created": created.isoformat(),
            "expires": (created + timedelta(days=days)).isoformat(),
            "revoked": None,
        }
        with self.database.transaction() as db:
            db.execute(tokens.insert().values(row))
        return f"{TOKEN_PREFIX}_{token_id}_{secret}"

    def revoke_token(self, token: str) -> None:
        token_id = self._split(token)[0]
        with self.database.transaction() as db:
            db.execute(
                tokens.update().where(tokens.c.id == token_id).values(revoked=_now().isoformat())
            )

    def revoke_token_id(self, token_id: str, name: str | None = None) -> bool:
        """Revoke a token by its public id (of ``name`` when given); False if none matched."""
        query = tokens.update().where(tokens.c.id == token_id, tokens.c.revoked.is_(None))
        if name is not None:
            query = query.where(tokens.c.user == name)
        with self.database.transaction() as db:
            done = db.execute(query.values(revoked=_now().isoformat()))
        return done.rowcount > 0

    def users(self) -> list[User]:
        """Every registered user, by name."""
        with self.database.read() as db:
            rows = db.execute(sa.select(*_USER_COLUMNS)).all()
        # sorted here, by code point: the same order on every database collation
        return sorted((User(*r) for r in rows), key=lambda user: user.name)

    def tokens(self, name: str) -> list[dict[str, Any]]:
        """A user's tokens without secrets: id, created, expires, revoked."""
        self.user(name)
        columns = (tokens.c.id, tokens.c.created, tokens.c.expires, tokens.c.revoked)
        with self.database.read() as db:
            rows = db.execute(sa.select(*columns).where(tokens.c.user == name)).all()
        found = [dict(zip(("id", "created", "expires", "revoked"), r, strict=True)) for r in rows]
        return sorted(found, key=lambda token: (token["created"], token["id"]))

    def set_role(
        self, name: str, role: str, organisation: str | None = None, factory: str | None = None
    ) -> User:
        """Change a user's role (and organisation or factory); audited."""
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}; known: {', '.join(ROLES)}", where="role")
        organisation, factory = self._affiliation(organisation, factory)
        before = self.user(name)
        change = {"role": role, "organisation": organisation, "factory": factory}
        with self.database.transaction() as db:
            db.execute(users.update().where(users.c.name == name).values(change))
            detail = {"user": name, "from": before.role, "to": role}
            _append(db, None, "user.role", None, "ok", detail)
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
        columns = (tokens.c.user, tokens.c.digest, tokens.c.expires, tokens.c.revoked)
        with self.database.read() as db:
            row = db.execute(sa.select(*columns).where(tokens.c.id == token_id)).first()
        if row is None or not hmac.compare_digest(row[1], _digest(secret)):
            raise Unauthorized("invalid token")
        if row[3] is not None:
            raise Unauthorized("the token was revoked")
        if datetime.fromisoformat(row[2]) <= _now():
            raise Unauthorized("the token has expired")
        return self.user(row[0])

    # -- passwords -------------------------------------------------------------------------

    def _stored_hash(self, name: str) -> str | None:
        query = sa.select(passwords.c.hash).where(passwords.c.user == name)
        with self.database.read() as db:
            return db.execute(query).scalar_one_or_none()

    def has_password(self, name: str) -> bool:
        return self._stored_hash(name) is not None

    def set_password(self, name: str, new: str, *, current: str | None = None) -> None:
        """Give ``name`` the password ``new`` (audited). With ``current`` (a user changing
        their own), that must be the password in force and ``new`` must differ from it;
        :class:`InvalidInput` names the field at fault (``current`` or ``new``)."""
        self.user(name)
        stored = self._stored_hash(name)
        if current is not None and not self.policy.verify(stored, current):
            raise InvalidInput("the current password is wrong", where="current")
        self.policy.check_new(name, new)
        if stored is not None and self.policy.verify(stored, new):
            raise InvalidInput("the new password must differ from the current one", where="new")
        actor = name if current is not None else None  # None: an administrator set it
        self._store_hash(name, self.policy.hash(new), audit=True, actor=actor)

    def _store_hash(self, name: str, digest: str, *, audit: bool, actor: str | None = None) -> None:
        row = {"user": name, "hash": digest, "changed": _now().isoformat()}
        insert = postgresql.insert if self.database.dialect == "postgresql" else sqlite.insert
        query = insert(passwords).values(row)
        query = query.on_conflict_do_update(
            index_elements=[passwords.c.user], set_={"hash": digest, "changed": row["changed"]}
        )
        with self.database.transaction() as db:
            db.execute(query)
            if audit:
                _append(db, actor, "user.password", None, "ok", {"user": name})

    def check_password(self, name: str, password: str) -> User:
        """The user ``name`` if ``password`` is theirs; :class:`Unauthorized` otherwise,
        after the same work whether the user exists or not. A hash made with older
        parameters is replaced by one with the current ones."""
        stored = self._stored_hash(name) if len(name) <= self.limits.name_chars else None
        matches = self.policy.verify(stored, password)  # run even when there is no hash
        if stored is None or not matches:
            raise Unauthorized("wrong user name or password")
        if self.policy.needs_rehash(stored):
            self._store_hash(name, self.policy.hash(password), audit=False)
        return self.user(name)

    # -- identities from an OpenID Connect provider ------------------------------------------

    def linked_user(self, issuer: str, subject: str) -> User | None:
        """The local user an identity of ``issuer`` was linked to, if any."""
        query = sa.select(oidc_identities.c.user).where(
            oidc_identities.c.issuer == issuer, oidc_identities.c.subject == subject
        )
        with self.database.read() as db:
            name = db.execute(query).scalar_one_or_none()
        return None if name is None else self.user(name)

    def add_linked_user(
        self,
        issuer: str,
        subject: str,
        wanted: str,
        role: str,
        organisation: str | None = None,
        factory: str | None = None,
    ) -> User:
        """A new user for a first sign-on of ``issuer``'s ``subject``, named ``wanted`` (or
        ``wanted-2``, ``wanted-3``, … when taken), linked to that identity (audited). If the
        identity was linked meanwhile (two first sign-ons at once), its user."""
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}; known: {', '.join(ROLES)}", where="role")
        organisation, factory = self._affiliation(organisation, factory)
        base = usable_name(wanted, self.limits.name_chars - 4)
        for n in range(1, 1000):
            name = base if n == 1 else f"{base}-{n}"
            now = _now().isoformat()
            person = {"name": name, "role": role, "organisation": organisation}
            person |= {"factory": factory, "created": now}
            link = {"issuer": issuer, "subject": subject, "user": name, "created": now}
            try:
                with self.database.transaction() as db:
                    if db.execute(sa.select(users.c.name).where(users.c.name == name)).first():
                        continue
                    db.execute(users.insert().values(person))
                    db.execute(oidc_identities.insert().values(link))
                    detail = {"user": name, "issuer": issuer, "role": role}
                    _append(db, name, "user.oidc_link", None, "ok", detail)
            except IntegrityError:
                linked = self.linked_user(issuer, subject)
                if linked is not None:
                    return linked
                continue  # the name was taken meanwhile: the next one
            return User(name, role, organisation, factory)
        raise Conflict(f"no free user name like {base!r}", where="name")

    # -- grants ----------------------------------------------------------------------------

    def grant(self, name: str, dataset_id: str) -> None:
        self.user(name)
        row = {"user": name, "dataset_id": dataset_id, "granted": _now().isoformat()}
        insert = postgresql.insert if self.database.dialect == "postgresql" else sqlite.insert
        with self.database.transaction() as db:
            db.execute(insert(grants).values(row).on_conflict_do_nothing())
            _append(db, None, "grant.add", dataset_id, "ok", {"user": name})

    def revoke(self, name: str, dataset_id: str) -> bool:
        query = grants.delete().where(grants.c.user == name, grants.c.dataset_id == dataset_id)
        with self.database.transaction() as db:
            done = db.execute(query)
            _append(db, None, "grant.revoke", dataset_id, "ok", {"user": name})
        return done.rowcount > 0

    def has_grant(self, name: str | None, dataset_id: str) -> bool:
        if name is None:
            return False
        query = sa.select(sa.literal(1)).where(
            grants.c.user == name, grants.c.dataset_id == dataset_id
        )
        with self.database.read() as db:
            return db.execute(query).first() is not None

    # -- audit -----------------------------------------------------------------------------

    def audit(
        self,
        actor: str | None,
        action: str,
        dataset_id: str | None,
        outcome: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self.database.transaction() as db:
            _append(db, actor, action, dataset_id, outcome, detail)

    def audit_log(self, dataset_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(audit_table).order_by(audit_table.c.seq)
        if dataset_id is not None:
            query = query.where(audit_table.c.dataset_id == dataset_id)
        with self.database.read() as db:
            rows = db.execute(query).mappings().all()
        return [dict(r) | {"detail": json.loads(r["detail"])} for r in rows]


def _append(
    db: sa.Connection,
    actor: str | None,
    action: str,
    dataset_id: str | None,
    outcome: str,
    detail: dict[str, Any] | None,
) -> None:
    """Append one entry to the audit log, in the caller's transaction."""
    row = {
        "at": _now().isoformat(),
        "actor": actor,
        "action": action,
        "dataset_id": dataset_id,
        "outcome": outcome,
        "detail": json.dumps(detail or {}, ensure_ascii=False),
    }
    db.execute(audit_table.insert().values(row))


def usable_name(wanted: str, max_chars: int) -> str:
    """A user name made of ``wanted`` (a preferred user name, or an e-mail's local part):
    no spaces or control characters, at most ``max_chars`` characters, never empty."""
    text = wanted.split("@", 1)[0] if "@" in wanted else wanted
    kept = "".join(ch if ch.isprintable() and not ch.isspace() else "-" for ch in text)
    kept = kept.strip("-")[:max_chars]
    return kept or "user"


def accounts_path(home: Path) -> Path:
    """The embedded database holding the accounts of the catalogue in ``home``
    (``Accounts(accounts_path(home))``); with ``DATALAB_DATABASE_URL`` set, use
    ``Accounts(Database.open(settings))`` instead."""
    return embedded_path(home)


def legacy_accounts_path(home: Path) -> Path:
    """Where catalogues from before the operational database kept their accounts."""
    return home / "accounts.sqlite3"
