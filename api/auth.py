"""Who is calling: the ``Authorization`` header resolved to a :class:`Principal`.

Two schemes carry the same API token:

* ``Bearer <token>``;
* ``Basic base64(<user>:<token>)``: the token is the password, the user name is not
  checked (tools such as ``mlcroissant`` and ``requests`` speak only Basic). It is the same
  token, checked the same way.

No header means the anonymous principal; a malformed, unknown, expired or revoked token is
a 401 with the common error body, never a silent fall-back to anonymous. Each failure is
counted against the client's address (api/middleware/throttle.py), by the token tried, so a
token is one guess whatever the scheme or user name carrying it: past the limit, every
token from that address gets 429 before it is read. Neither the header nor the token ever
appears in a message or a log.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.deps import ServicesDep
from api.middleware.refusal import client_address
from catalog.errors import DatalabError, Unauthorized

USAGE = "use 'Authorization: Bearer <token>', or Basic with the token as the password"


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


def token_of(header: str) -> str:
    """The API token an ``Authorization`` header carries; :class:`Unauthorized` if none."""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    token = ""
    if scheme.lower() == "bearer":
        token = value
    elif scheme.lower() == "basic":
        try:
            decoded = b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            message = f"malformed Basic credentials; {USAGE}"
            raise Unauthorized(message, where="Authorization") from None
        _, colon, token = decoded.partition(":")
        if not colon:
            message = f"Basic credentials need '<user>:<token>'; {USAGE}"
            raise Unauthorized(message, where="Authorization")
    if not token.strip():
        raise Unauthorized(USAGE, where="Authorization")
    return token.strip()


def get_principal(request: Request, services: ServicesDep) -> Principal:
    header = request.headers.get("authorization")
    if header is None:
        return ANONYMOUS
    credential = header
    try:
        credential = token_of(header)
        user = services.accounts.authenticate(credential)
    except DatalabError:  # Unauthorized, or a token whose user is gone
        services.throttle.failed(client_address(request.scope), credential)
        raise
    return Principal(user.name, user.role, user.organisation, user.factory)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
