"""Answer only to the catalogue's own host names (``trusted_hosts`` and public_url's host).

A request whose ``Host`` header names another host gets 400 with the one error body (the
header's value is never echoed). This complements, and does not replace, the rule that
every absolute link is built from ``public_url`` (api/links.py): even with
``trusted_hosts = *`` no link ever carries the Host header.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from api.middleware.refusal import refuse
from catalog.errors import UntrustedHost
from catalog.settings import Settings

#: A Host header: a name or an IPv4 address, or a bracketed IPv6 address; an optional port.
_HOST = re.compile(
    r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::(?P<port>[0-9]{1,5}))?"
)


def trusted_hosts(settings: Settings) -> frozenset[str]:
    """public_url's host and ``settings.trusted_hosts``, lower-case, IPv6 without brackets."""
    hosts = {h.strip().lower().strip("[]") for h in settings.trusted_hosts if h.strip()}
    public = urlsplit(settings.public_url).hostname
    if public:
        hosts.add(public.lower())
    return frozenset(hosts)


def host_of(header: str | None) -> str | None:
    """The host part of a Host header (lower-case, no port, no trailing dot), or None."""
    match = _HOST.fullmatch(header or "")
    if match is None:
        return None
    return (match["ipv6"] or match["name"]).lower().removesuffix(".")


def is_trusted(host: str, patterns: frozenset[str]) -> bool:
    if "*" in patterns or host in patterns:
        return True
    return any(p.startswith("*.") and host.endswith(p[1:]) for p in patterns)


class TrustedHosts:
    """ASGI middleware: 400 for a missing, malformed or untrusted ``Host`` header."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.patterns = trusted_hosts(settings)
        self.public_url = settings.public_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "*" not in self.patterns:
            header = next((v for k, v in scope["headers"] if k == b"host"), None)
            host = host_of(header.decode("latin-1") if header is not None else None)
            if host is None or not is_trusted(host, self.patterns):
                exc = UntrustedHost(
                    "this catalogue does not answer to that Host header; use its public URL",
                    where="Host",
                    details={"public_url": self.public_url},
                )
                await refuse(scope, send, exc)
                return
        await self.app(scope, receive, send)
