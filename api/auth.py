"""Who is calling: ``Authorization: Bearer <token>`` resolved to a :class:`Principal`.

No header means the anonymous principal; a malformed, unknown, expired or revoked token is
a 401 with the common error body, never a silent fall-back to anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from catalog.accounts import Accounts, accounts_path
from catalog.errors import Unauthorized


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
        accounts = Accounts(accounts_path(state.settings.home))
        state.accounts = accounts
    return accounts


def get_principal(request: Request) -> Principal:
    header = request.headers.get("authorization")
    if header is None:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("use 'Authorization: Bearer <token>'", where="Authorization")
    user = get_accounts(request).authenticate(token.strip())
    return Principal(user.name, user.role, user.organisation, user.factory)


AccountsDep = Annotated[Accounts, Depends(get_accounts)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
