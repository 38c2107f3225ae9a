"""Failed authentication attempts, counted per client address; past the limit, 429.

An attempt is a request carrying an ``Authorization`` header, or a POST of the sign-in form
(``/ui/login``). api/auth.py and api/web/session.py report each failure here. Once an
address has sent ``auth_failure_limit`` distinct wrong credentials within
``auth_failure_window_seconds``, every further attempt from it gets 429 and ``Retry-After``
*before* the credential is looked at, so a valid token or password is refused too and a
guess can never be confirmed: :class:`AuthGate` answers the API's attempts, the sign-in
page itself (``refuse_if_throttled`` in api/web/session.py) the form's, so a person sees
the page saying so rather than a JSON body. Requests without credentials, and every
other address, are unaffected.

Distinct credentials are counted (by SHA-256): guessing needs a new token each time, while a
client repeating one stale token learns nothing and does not lock its address (and every
colleague behind the same NAT) out.

The counts live in this process's memory and are lost on restart; with several server
processes each counts its own. A shared store comes with issue 17.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from api.middleware.refusal import client_address, refuse
from catalog.errors import TooManyAttempts
from catalog.settings import Settings

SIGN_IN_PATH = "/ui/login"


class AuthThrottle:
    """Distinct failed credentials per client address within a sliding window."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self.clock = clock
        self._failures: OrderedDict[str, dict[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthThrottle:
        return cls(settings.auth_failure_limit, settings.auth_failure_window_seconds)

    def _recent(self, client: str, now: float) -> dict[str, float]:
        seen = self._failures.get(client, {})
        fresh = {k: t for k, t in seen.items() if t > now - self.window}
        if len(fresh) != len(seen):
            if fresh:
                self._failures[client] = fresh
            else:
                self._failures.pop(client, None)
        return fresh

    def failed(self, client: str, credential: str) -> None:
        """Count one failed attempt of ``client`` with ``credential``."""
        digest = hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()
        with self._lock:
            now = self.clock()
            fresh = self._recent(client, now)
            fresh[digest] = now
            self._failures[client] = fresh
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)

    def retry_after(self, client: str) -> float | None:
        """Seconds until ``client`` may try again, or None if it may now."""
        with self._lock:
            now = self.clock()
            fresh = self._recent(client, now)
            if len(fresh) < self.limit:
                return None
            oldest = sorted(fresh.values())[len(fresh) - self.limit]
            return max(oldest + self.window - now, 0.0)


def is_attempt(scope: Scope) -> bool:
    """Whether the request tries to authenticate with a token (the sign-in form's POSTs
    are gated by the page, which answers with its own 429 page)."""
    if scope["method"] == "POST" and scope["path"] == SIGN_IN_PATH:
        return False
    return any(name == b"authorization" for name, _ in scope["headers"])


class AuthGate:
    """ASGI middleware: 429 for attempts from an address past its failure limit."""

    def __init__(self, app: ASGIApp, throttle: AuthThrottle) -> None:
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_attempt(scope):
            wait = self.throttle.retry_after(client_address(scope))
            if wait is not None:
                exc = TooManyAttempts(
                    "too many failed sign-ins or tokens from your address; try again later",
                    retry_after=wait,
                    where="Authorization",
                )
                await refuse(scope, send, exc)
                return
        await self.app(scope, receive, send)
