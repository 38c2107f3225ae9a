"""The middleware in front of every route, outermost first.

1. :class:`~api.middleware.hosts.TrustedHosts`: only the catalogue's own host names (400).
2. :class:`~api.middleware.bounds.RequestBounds`: header size (431), body size (413) with
   the upload table's per-route caps, body deadline (408).
3. :class:`~api.middleware.throttle.AuthGate`: authentication attempts from an address
   past its failure limit (429).

The server under them (api/server.py) adds the header deadline, keep-alive, connection and
backlog limits that an ASGI middleware cannot see.
"""

from __future__ import annotations

from fastapi import FastAPI

from api.middleware.bounds import RequestBounds
from api.middleware.hosts import TrustedHosts
from api.middleware.throttle import AuthGate, AuthThrottle
from catalog.settings import Settings


def install_middleware(app: FastAPI, settings: Settings) -> AuthThrottle:
    """Register the middleware on ``app``; returns the failure counts (the throttle), which
    the app's services share (api/services.py) to count failed sign-ins and tokens."""
    throttle = AuthThrottle.from_settings(settings)
    # add_middleware puts each new one outside the ones before it: innermost first
    app.add_middleware(AuthGate, throttle=throttle)
    app.add_middleware(RequestBounds, settings=settings)
    app.add_middleware(TrustedHosts, settings=settings)
    return throttle
