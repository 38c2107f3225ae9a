"""Single sign-ons under way: what the catalogue must remember between sending a browser to
the provider and its coming back (table ``oidc_logins`` of the operational database, so any
API replica can finish a sign-on another one started).

Each started sign-on keeps the SHA-256 of its ``state`` (the key the provider hands back),
the SHA-256 of a secret held in the starting browser's cookie (so a callback with someone
else's ``state`` — a forged sign-in link — is refused), the ``nonce`` the ID token must
carry, the PKCE code verifier, the page to return to and an expiry. A row is taken (deleted)
by the first callback that names its state: a replayed callback finds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from catalog.db import Database
from catalog.db.schema import oidc_logins
from catalog.errors import InvalidInput


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PendingLogin:
    """One started sign-on: the values sent to the provider and the secrets kept back."""

    state: str
    browser: str  # the secret of the starting browser's cookie
    nonce: str
    verifier: str
    next: str


class PendingLogins:
    """Started sign-ons, each usable once and for ``minutes`` at most."""

    def __init__(self, database: Database, minutes: float) -> None:
        self.database = database
        self.lifetime = timedelta(minutes=minutes)

    def start(self, next_url: str) -> PendingLogin:
        login = PendingLogin(
            state=secrets.token_urlsafe(32),
            browser=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(64),  # 86 characters: within PKCE's 43 to 128
            next=next_url,
        )
        now = datetime.now(UTC)
        row = {
            "state": _digest(login.state),
            "browser": _digest(login.browser),
            "nonce": login.nonce,
            "verifier": login.verifier,
            "next": next_url,
            "expires": (now + self.lifetime).isoformat(),
        }
        with self.database.transaction() as db:
            db.execute(oidc_logins.delete().where(oidc_logins.c.expires < now.isoformat()))
            db.execute(oidc_logins.insert().values(row))
        return login

    def take(self, state: str, browser: str | None) -> PendingLogin:
        """The sign-on ``state`` names, removed so it can never be finished twice;
        :class:`InvalidInput` (400) if unknown, used, expired or started by another browser."""
        if not state or len(state) > 200:
            raise InvalidInput("the sign-in answer carries no valid state", where="state")
        key = _digest(state)
        columns = (
            oidc_logins.c.browser,
            oidc_logins.c.nonce,
            oidc_logins.c.verifier,
            oidc_logins.c.next,
            oidc_logins.c.expires,
        )
        with self.database.transaction() as db:
            row = db.execute(sa.select(*columns).where(oidc_logins.c.state == key)).first()
            taken = db.execute(oidc_logins.delete().where(oidc_logins.c.state == key)).rowcount
        if row is None or taken != 1:
            raise InvalidInput(
                "this sign-in was already finished, has expired or was never started here: "
                "start again",
                where="state",
            )
        if datetime.fromisoformat(row[4]) <= datetime.now(UTC):
            raise InvalidInput(
                "this sign-in took too long and has expired: start again", where="state"
            )
        if not browser or not hmac.compare_digest(row[0], _digest(browser)):
            raise InvalidInput(
                "this sign-in was started in another browser: start again from this one",
                where="state",
            )
        return PendingLogin(state, browser, row[1], row[2], row[3])
