"""The one shared HTTP fetcher: every outbound request of the catalogue goes through it.

:class:`Fetcher` bounds each fetch (body size, decompressed size, connect/read/total
deadlines, redirects), checks every hop against :mod:`catalog.outbound.ssrf` and connects to the
very address it checked, is polite per host (:mod:`catalog.outbound.politeness`), retries a few
transient failures with exponential backoff and jitter, and never turns TLS verification off.
"""

from __future__ import annotations

import logging
import random
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from catalog.errors import (
    FetchError,
    FetchRedirectError,
    FetchRefused,
    FetchRetryLater,
    FetchStatusError,
    FetchTimeout,
    FetchTooLarge,
)
from catalog.outbound.politeness import Deadline, Politeness, wall_clock_after
from catalog.outbound.ssrf import (
    IPAddress,
    PinnedTransport,
    bind_deadline,
    parse_url,
    resolve_target,
)
from catalog.settings import Settings

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_CHUNK = 64 * 1024
_DROP_ON_CROSS_ORIGIN = frozenset({"authorization", "cookie", "proxy-authorization"})
_RESERVED_HEADERS = frozenset(
    {"host", "accept-encoding", "connection", "content-length", "transfer-encoding"}
)


@dataclass(frozen=True)
class FetchResult:
    """A successful (2xx) response, its body read and decoded within the caps."""

    url: str
    status: int
    media_type: str | None
    headers: Mapping[str, str]
    content: bytes


# --- bounded Content-Encoding decoding ---------------------------------------------------


def _inflate(chunks: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    wbits = zlib.MAX_WBITS | 32 if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
    decoder = zlib.decompressobj(wbits)
    raw_deflate = False
    for chunk in chunks:
        data = chunk
        while data:
            try:
                out = decoder.decompress(data, _CHUNK)
            except zlib.error:
                if encoding != "deflate" or raw_deflate:
                    raise
                raw_deflate, decoder = True, zlib.decompressobj(-zlib.MAX_WBITS)
                out = decoder.decompress(data, _CHUNK)
            data = decoder.unconsumed_tail
            if out:
                yield out
            if decoder.eof and decoder.unused_data:  # concatenated gzip members
                data, decoder = decoder.unused_data, zlib.decompressobj(wbits)
            elif not data and len(out) == _CHUNK:
                data = b""
                while out := decoder.decompress(b"", _CHUNK):
                    yield out
    tail = decoder.flush()
    if tail:
        yield tail


def _decoded(chunks: Iterable[bytes], content_encoding: str, url: str) -> Iterable[bytes]:
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if len(codings) > 2:
        raise FetchError(f"too many Content-Encodings: {content_encoding!r}", where=url)
    for coding in reversed(codings):
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise FetchError(f"unsupported Content-Encoding {coding!r}", where=url)
        chunks = _inflate(chunks, coding)
    return chunks


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _Transient(Exception):
    """A failure worth retrying; carries the error to raise if retries run out."""

    def __init__(self, error: FetchError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class _Answer:
    status: int
    headers: httpx.Headers
    content: bytes


# --- the fetcher -------------------------------------------------------------------------


class Fetcher:
    """Bounded, SSRF-checked, polite HTTP GETs; share one per process (or per harvest).

    ``client`` may be injected (it then receives requests addressed to the pinned IP with a
    ``Host`` header and SNI set); the default client adds the per-socket total deadline and
    refuses to connect anywhere but an IP literal.
    """

    def __init__(self, settings: Settings, *, client: httpx.Client | None = None) -> None:
        self._settings = settings
        self._owns_client = client is None
        self._client = client or httpx.Client(
            transport=PinnedTransport(), trust_env=False, follow_redirects=False
        )
        self._politeness = Politeness(
            delay_s=settings.fetch_host_delay_s,
            circuit_threshold=settings.fetch_circuit_threshold,
            circuit_reset_s=settings.fetch_circuit_reset_s,
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client if the fetcher created it."""
        if self._owns_client:
            self._client.close()

    def get(
        self, url: str, *, accept: str | None = None, headers: Mapping[str, str] | None = None
    ) -> FetchResult:
        """GET ``url`` within every cap; raise :class:`FetchRefused` or :class:`FetchError`."""
        s = self._settings
        deadline = Deadline(s.fetch_total_timeout_s)
        current = parse_url(url)
        seen = {str(current)}
        extra = {k: v for k, v in (headers or {}).items() if k.lower() not in _RESERVED_HEADERS}
        extra["Accept"] = accept or extra.get("Accept", "*/*")
        for _hop in range(s.fetch_max_redirects + 1):
            answer = self._with_retries(current, extra, deadline)
            if answer.status in REDIRECT_STATUSES:
                nxt = self._next_hop(current, answer, seen)
                if (nxt.scheme, nxt.host, nxt.port) != (current.scheme, current.host, current.port):
                    extra = {
                        k: v for k, v in extra.items() if k.lower() not in _DROP_ON_CROSS_ORIGIN
                    }
                current = nxt
                continue
            if answer.status >= 400:
                raise FetchStatusError(
                    f"{current} answered HTTP {answer.status}",
                    where=str(current),
                    details={"status": answer.status, "url": str(current)},
                )
            if not 200 <= answer.status < 300:
                raise FetchStatusError(
                    f"{current} answered unexpected HTTP {answer.status}",
                    where=str(current),
                    details={"status": answer.status, "url": str(current)},
                )
            content_type = answer.headers.get("content-type")
            media = content_type.split(";", 1)[0].strip().lower() if content_type else None
            return FetchResult(
                str(current), answer.status, media or None, answer.headers, answer.content
            )
        raise FetchRedirectError(
            f"too many redirects: more than {s.fetch_max_redirects} starting from {url}", where=url
        )

    def _next_hop(self, current: httpx.URL, answer: _Answer, seen: set[str]) -> httpx.URL:
        location = answer.headers.get("location")
        if not location:
            raise FetchRedirectError(
                f"HTTP {answer.status} redirect without a Location from {current}",
                where=str(current),
            )
        try:
            joined = str(current.join(location.strip()).copy_with(fragment=None))
        except (httpx.InvalidURL, ValueError) as exc:
            raise FetchRefused(
                f"malformed redirect Location {location!r}", where=str(current)
            ) from exc
        nxt = parse_url(joined)
        if current.scheme == "https" and nxt.scheme == "http":
            raise FetchRefused(
                f"redirect from HTTPS to plain HTTP refused: {current} -> {nxt}", where=str(current)
            )
        if str(nxt) in seen:
            raise FetchRedirectError(f"redirect loop: {current} -> {nxt} again", where=str(current))
        seen.add(str(nxt))
        log.debug("redirect %s -> %s", current, nxt)
        return nxt

    def _with_retries(self, url: httpx.URL, headers: dict[str, str], deadline: Deadline) -> _Answer:
        s = self._settings
        host = url.host
        self._politeness.check_circuit(host, str(url))
        attempt = 0
        while True:
            retry_after: float | None = None
            try:
                answer = self._attempt(url, headers, deadline)
            except _Transient as exc:
                failure = exc.error
            except FetchTimeout:
                self._politeness.record_failure(host)
                raise
            else:
                if answer.status not in RETRY_STATUSES:
                    if answer.status >= 500:
                        self._politeness.record_failure(host)
                    else:
                        self._politeness.record_success(host)
                    return answer
                failure = FetchStatusError(
                    f"{url} answered HTTP {answer.status} after {attempt + 1} attempt(s)",
                    where=str(url),
                    details={"status": answer.status, "url": str(url)},
                )
                retry_after = _retry_after_seconds(answer.headers.get("retry-after"))
            if retry_after is not None:
                wait = min(retry_after, s.fetch_max_retry_after_s)
                self._politeness.retry_after(host, wait)
                if wait > deadline.remaining():
                    self._politeness.record_failure(host)
                    status = (failure.details or {}).get("status")
                    raise FetchRetryLater(
                        f"{url} answered HTTP {status} with Retry-After "
                        f"{wait:.0f} s, longer than this fetch may wait; retry after "
                        f"{wall_clock_after(wait)}",
                        where=str(url),
                        details={"status": status, "retry_after_s": wait},
                    )
            backoff = 0.0 if retry_after is not None else s.fetch_backoff_s * 2**attempt
            backoff *= random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography
            if attempt >= s.fetch_max_retries or backoff >= deadline.remaining():
                self._politeness.record_failure(host)
                raise failure
            log.warning("retrying %s in %.2f s after: %s", url, backoff, failure.message)
            time.sleep(backoff)
            attempt += 1

    def _attempt(self, url: httpx.URL, headers: dict[str, str], deadline: Deadline) -> _Answer:
        s = self._settings
        connect = min(s.fetch_connect_timeout_s, deadline.remaining())
        addresses = resolve_target(url, s, timeout=connect)
        with self._politeness.slot(url.host, str(url), deadline):
            last: httpx.ConnectError | None = None
            for ip in addresses:
                try:
                    return self._send(url, ip, headers, deadline)
                except httpx.ConnectError as exc:
                    last = exc
            raise _Transient(FetchError(f"cannot connect to {url}: {last}", where=str(url)))

    def _send(
        self, url: httpx.URL, ip: IPAddress, headers: dict[str, str], deadline: Deadline
    ) -> _Answer:
        s = self._settings
        host = url.raw_host.decode("ascii")
        host_header = (f"[{host}]" if ":" in host else host) + (f":{url.port}" if url.port else "")
        left = deadline.remaining()
        timeout = httpx.Timeout(
            connect=min(s.fetch_connect_timeout_s, left),
            read=min(s.fetch_read_timeout_s, left),
            write=min(s.fetch_read_timeout_s, left),
            pool=min(s.fetch_connect_timeout_s, left),
        )
        extensions = {"sni_hostname": host} if url.scheme == "https" else {}
        request = self._client.build_request(
            "GET",
            url.copy_with(host=str(ip)),
            headers={
                **headers,
                "Host": host_header,
                "User-Agent": s.fetch_user_agent,
                "Accept-Encoding": "gzip, deflate",
                # never reuse a connection: it was checked (and TLS-verified) for one name
                "Connection": "close",
            },
            timeout=timeout,
            extensions=extensions,
        )
        bind_deadline(deadline)
        try:
            response = self._client.send(request, stream=True, follow_redirects=False)
            try:
                content = b""
                if 200 <= response.status_code < 300:
                    content = self._read_body(response, str(url), deadline)
                return _Answer(response.status_code, response.headers, content)
            finally:
                response.close()
        except httpx.ConnectError:
            raise
        except httpx.TimeoutException as exc:
            if deadline.expired():
                raise self._total_timeout(url) from exc
            kind = "connect" if isinstance(exc, httpx.ConnectTimeout) else "read"
            limit = s.fetch_connect_timeout_s if kind == "connect" else s.fetch_read_timeout_s
            raise _Transient(
                FetchTimeout(f"{kind} timeout ({limit:g} s) fetching {url}", where=str(url))
            ) from exc
        except httpx.TransportError as exc:
            raise _Transient(
                FetchError(f"network error fetching {url}: {exc}", where=str(url))
            ) from exc
        finally:
            bind_deadline(None)

    def _total_timeout(self, url: httpx.URL | str) -> FetchTimeout:
        limit = self._settings.fetch_total_timeout_s
        return FetchTimeout(
            f"fetching {url} exceeded the total deadline of {limit:g} s", where=str(url)
        )

    def _read_body(self, response: httpx.Response, url: str, deadline: Deadline) -> bytes:
        s = self._settings
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > s.fetch_max_body_bytes:
            raise FetchTooLarge(
                f"{url} declares {declared} bytes, over the cap of {s.fetch_max_body_bytes}",
                where=url,
            )
        received = 0

        def raw() -> Iterator[bytes]:
            nonlocal received
            for chunk in response.iter_raw(_CHUNK):
                received += len(chunk)
                if received > s.fetch_max_body_bytes:
                    raise FetchTooLarge(
                        f"{url} sent more than the cap of {s.fetch_max_body_bytes} bytes",
                        where=url,
                    )
                if deadline.expired():
                    raise self._total_timeout(url)
                yield chunk

        parts: list[bytes] = []
        decoded = 0
        encoding = response.headers.get("content-encoding", "")
        try:
            for piece in _decoded(raw(), encoding, url):
                decoded += len(piece)
                if decoded > s.fetch_max_decompressed_bytes:
                    raise FetchTooLarge(
                        f"{url} decompresses to more than the cap of "
                        f"{s.fetch_max_decompressed_bytes} bytes (compression bomb?)",
                        where=url,
                    )
                parts.append(piece)
        except zlib.error as exc:
            raise FetchError(f"corrupt {encoding} body from {url}: {exc}", where=url) from exc
        return b"".join(parts)
