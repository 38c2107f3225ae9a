"""Who is calling: ``Authorization: Bearer <token>`` resolved to a :class:`Principal`.

No header means the anonymous principal; a malformed, unknown, expired or revoked token is
a 401 with the common error body, never a silent fall-back to anonymous. Each failure is
counted against the client's address (api/middleware/throttle.py): past the limit, every
token from that address gets 429 before it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.middleware.refusal import client_address
from api.middleware.throttle import AuthThrottle
from catalog.accounts import Accounts
from catalog.db import Database
from catalog.errors import DatalabError, Unauthorized
from catalog.field_limits import FieldLimits


@dataclass(frozen=True)
class Principal:
    """The caller: a user name (``None`` when anonymous) and the role they act in."""

    name: str | None
    role: str = "developer"
    organisation: str | None = None
    factory: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.name is None


ANONYMOUS = Principal(None)


def get_accounts(request: Request) -> Accounts:
    """The app's accounts database, opened on first use."""
    state = request.app.state
    accounts = getattr(state, "accounts", None)
    if accounts is None:
        limits = FieldLimits.from_settings(state.settings)
        accounts = Accounts(Database.open(state.settings), limits)
        state.accounts = accounts
    return accounts


def get_principal(request: Request) -> Principal:
    header = request.headers.get("authorization")
    if header is None:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("use 'Authorization: Bearer <token>'", where="Authorization")
        user = get_accounts(request).authenticate(token.strip())
    except DatalabError:  # Unauthorized, or a token whose user is gone
        throttle: AuthThrottle = request.app.state.auth_throttle
        throttle.failed(client_address(request.scope), header)
        raise
    return Principal(user.name, user.role, user.organisation, user.factory)


AccountsDep = Annotated[Accounts, Depends(get_accounts)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
