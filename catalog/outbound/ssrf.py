"""Server-side request forgery guard of the shared fetcher.

Every outbound URL passes :func:`check_url` (static checks: scheme, userinfo, odd IP
spellings, internal IP literals, names that always mean this machine) and, right before a
connection, :func:`resolve_target`, which resolves the host once, refuses it if *any* of its
addresses is internal, and returns the checked addresses so that the connection goes to one
of them and nowhere else (no second DNS lookup, so DNS rebinding cannot slip in between).

:class:`PinnedTransport` is the fetcher's own httpx transport: it connects only to IP
literals (so no DNS lookup can happen behind the guard's back) and bounds every socket call
by the deadline the fetcher binds to the thread with :func:`bind_deadline`.

Hosts listed in ``Settings.fetch_allow_hosts`` as ``host:port`` skip the internal-address
refusal (tests use it for their loopback servers); every other check still applies.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import httpcore
import httpx

from catalog.errors import FetchError, FetchRefused, FetchTimeout
from catalog.outbound.politeness import Deadline
from catalog.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# Names that always mean "this machine" or a cloud metadata service, refused without DNS.
_INTERNAL_NAMES = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "ip6-localhost",
        "ip6-loopback",
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
_INTERNAL_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")

# Cloud metadata services reached on addresses the generic rules might call public.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_HOST_CHARS = re.compile(r"^[a-z0-9_.-]+$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` is internal (loopback, private, …), or ``None`` for a public address."""
    if ip in _METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return "an IPv4-mapped IPv6 address"
        if ip.scope_id:
            return "a scoped IPv6 address"
        if ip in _NAT64 or ip in _NAT64_LOCAL:
            return "a NAT64 address"
        if ip.sixtofour is not None or ip.teredo is not None:
            return "a tunnelled (6to4 or Teredo) address"
        if ip.packed[:12] == bytes(12) and not ip.is_unspecified and not ip.is_loopback:
            return "an IPv4-compatible IPv6 address"
        if ip.is_site_local:
            return "a site-local address"
    checks = (
        ("is_unspecified", "the unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private or unique-local address"),
    )
    for attribute, reason in checks:
        if getattr(ip, attribute):
            return reason
    if not ip.is_global:
        return "a non-global address"
    return None


def _host_port(url: httpx.URL) -> tuple[str, int]:
    host = url.raw_host.decode("ascii").lower()
    return host, url.port or DEFAULT_PORTS.get(url.scheme, 0)


def is_allowed(url: httpx.URL, settings: Settings) -> bool:
    """Whether the URL's ``host:port`` is in ``Settings.fetch_allow_hosts``."""
    host, port = _host_port(url)
    wanted = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return wanted in {entry.lower() for entry in settings.fetch_allow_hosts}


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def parse_url(url: str) -> httpx.URL:
    """Parse and statically check one URL; raise :class:`FetchRefused` on any doubt."""
    if any(ord(ch) < 0x21 or ch == "\x7f" for ch in url):
        raise FetchRefused(f"URL contains whitespace or control characters: {url!r}", where=url)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchRefused(f"malformed URL {url!r}: {exc}", where=url) from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        scheme = parsed.scheme or "(none)"
        raise FetchRefused(f"scheme {scheme!r} refused: only http and https are fetched", where=url)
    if parsed.userinfo:
        raise FetchRefused("URLs with user info (user@host) are refused", where=url)
    host = parsed.raw_host.decode("ascii", errors="replace").lower()
    if not host:
        raise FetchRefused("URL has no host", where=url)
    if _ip_literal(host) is None:
        name = host.rstrip(".")
        if not _HOST_CHARS.match(name) or ".." in name:
            raise FetchRefused(f"host {host!r} is not a valid host name", where=url)
        if _NUMERIC_LABEL.match(name.rsplit(".", 1)[-1]):
            raise FetchRefused(
                f"host {host!r} is an unusual spelling of an IP address; "
                "only canonical dotted-quad IPv4 and bracketed IPv6 are accepted",
                where=url,
            )
    return parsed


def _static_host_check(parsed: httpx.URL, url: str) -> IPAddress | None:
    host = parsed.raw_host.decode("ascii").lower()
    literal = _ip_literal(host)
    if literal is not None:
        problem = address_problem(literal)
        if problem:
            raise FetchRefused(
                f"host {host} is {problem}; internal addresses are refused", where=url
            )
        return literal
    name = host.rstrip(".")
    if name in _INTERNAL_NAMES or name.endswith(_INTERNAL_SUFFIXES):
        raise FetchRefused(f"host {host!r} names this machine or an internal service", where=url)
    return None


def check_url(url: str, settings: Settings, *, resolve: bool = False) -> None:
    """Refuse (raise :class:`FetchRefused`) a URL the fetcher would never fetch.

    Without ``resolve`` this makes no network call (fit for every URL found in harvested
    metadata); with it, the host is also resolved and each address checked, as the fetcher
    does right before connecting.
    """
    parsed = parse_url(url)
    if is_allowed(parsed, settings):
        return
    _static_host_check(parsed, url)
    if resolve:
        resolve_target(parsed, settings, timeout=settings.fetch_connect_timeout_s)


_resolver_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="datalab-dns")


def _getaddrinfo(host: str, port: int) -> list[IPAddress]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    return addresses


def resolve_target(parsed: httpx.URL, settings: Settings, *, timeout: float) -> list[IPAddress]:
    """Addresses to connect to for ``parsed``, every one of them checked.

    Refuses the whole host if any address is internal (a name resolving to a public and a
    private address is refused), unless the host is allow-listed. The caller must connect
    to one of the returned addresses, never resolve the name again.
    """
    url = str(parsed)
    allowed = is_allowed(parsed, settings)
    literal = None if allowed else _static_host_check(parsed, url)
    host, port = _host_port(parsed)
    if literal is None:
        literal = _ip_literal(host)
    if literal is not None:
        return [literal]
    future = _resolver_pool.submit(_getaddrinfo, host.rstrip("."), port)
    try:
        addresses = future.result(timeout=max(timeout, 0.001))
    except FutureTimeout as exc:
        raise FetchTimeout(
            f"resolving {host!r} took longer than {timeout:.1f} s", where=url
        ) from exc
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc}", where=url) from exc
    if not addresses:
        raise FetchError(f"host {host!r} has no address", where=url)
    if not allowed:
        for ip in addresses:
            problem = address_problem(ip)
            if problem:
                raise FetchRefused(
                    f"host {host!r} resolves to {ip}, {problem}; internal addresses are refused",
                    where=url,
                )
    return addresses


# --- the pinned transport: IP literals only, every socket call within the total deadline ---

_local = threading.local()


def bind_deadline(deadline: Deadline | None) -> None:
    """Bound every socket call of this thread by ``deadline`` (``None`` to unbind)."""
    _local.deadline = deadline


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    deadline: Deadline | None = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline.remaining()
    if left <= 0:
        raise error("the total deadline of the fetch has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects only to IP literals (the checked, pinned address), within the deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            ipaddress.ip_address(host)
        except ValueError as exc:
            raise httpcore.ConnectError(f"refusing to connect to unpinned host {host!r}") from exc
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are never used by the fetcher")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class PinnedTransport(httpx.HTTPTransport):
    """httpx transport that connects only to IP literals, each socket call bounded by the
    deadline bound with :func:`bind_deadline` (no keep-alive, TLS always verified)."""

    def __init__(self) -> None:
        super().__init__(verify=True, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=True),
            max_connections=10,
            max_keepalive_connections=0,
            http1=True,
            http2=False,
            network_backend=_PinnedBackend(),
        )
