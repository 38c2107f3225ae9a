"""The paging safety rules every harvest listing obeys, enforced once by the runner.

A connector pages with a plain loop; :func:`guarded` wraps its page iterator and stops the
listing with a :class:`~catalog.errors.HarvestError` (where: the source URL) when

* it runs past ``harvest_max_pages`` pages (the listing is treated as incomplete);
* a page's URL (:attr:`Page.url`) was already visited: the paging loops;
* a page's URL leaves the source URL's host: paging across hosts is not followed;
* a non-empty page lists no record that earlier pages did not already list.

A connector that knows the next page's URL announces it on the page it yields
(:attr:`Page.next_url`); the guard checks that link's host, whether it was visited and the
page cap *before* the connector is resumed, so a hostile next link is refused without
ever being fetched. A page is checked before it is handed on, so the connector is
resumed only after its next link passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from catalog.errors import HarvestError
from catalog.harvest.contract import Page
from catalog.settings import Settings


def host_of(url: str) -> str:
    """The scheme and authority of ``url``, lower-cased: what "the same host" compares."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"


def _visit_key(url: str) -> str:
    """What "the same page" compares: the URL without a trailing slash."""
    return url.rstrip("/")


def check_link_length(url: str, number: int, settings: Settings, *, where: str) -> None:
    """Refuse a next link longer than ``stac_max_link_bytes`` (links that grow each page)."""
    limit = settings.stac_max_link_bytes
    if len(url) > limit:
        raise HarvestError(
            f"page {number}'s next link is {len(url)} characters long, over {limit} "
            "(growing links?); paging stopped",
            where=where,
        )


class PagingGuard:
    """The paging state of one listing: pages read, URLs visited, record ids listed."""

    def __init__(self, source_url: str, settings: Settings) -> None:
        self.source_url = source_url
        self.max_pages = settings.harvest_max_pages
        self.host = host_of(source_url)
        self.count = 0
        self.visited: set[str] = set()
        self.listed: set[str] = set()

    def _error(self, message: str) -> HarvestError:
        return HarvestError(message, where=self.source_url)

    def _too_many(self) -> HarvestError:
        return self._error(
            f"paging did not end after {self.max_pages} pages (harvest_max_pages); the "
            "listing is treated as incomplete"
        )

    def check_page(self, page: Page) -> None:
        """Refuse a page past the cap, on another host, already visited, linking to a next
        page the connector must not fetch, or listing nothing but repeats."""
        self.count += 1
        if self.count > self.max_pages:
            raise self._too_many()
        n = self.count
        if host_of(page.url) != self.host:
            raise self._error(
                f"page {n} is on another host ({page.url}); paging across hosts is not followed"
            )
        key = _visit_key(page.url)
        if key in self.visited:
            raise self._error(f"page {n} is an already visited page ({page.url}); the paging loops")
        self.visited.add(key)
        self._check_next(page)
        ids = {rec.record_id for rec in page.records}
        if ids and ids <= self.listed:
            raise self._error(
                f"page {n} ({page.url}) repeats records already listed; the source's paging "
                "is broken"
            )
        self.listed |= ids

    def _check_next(self, page: Page) -> None:
        """Refuse the page's announced next link (before the connector fetches it)."""
        nxt = page.next_url
        if not nxt:
            return
        n = self.count
        if host_of(nxt) != self.host:
            raise self._error(
                f"page {n} links its next page to another host ({nxt}); paging across hosts "
                "is not followed"
            )
        if _visit_key(nxt) in self.visited:
            raise self._error(
                f"page {n} links back to an already visited page ({nxt}); the paging loops"
            )
        if n >= self.max_pages:
            raise self._too_many()


def guarded(pages: Iterator[Page], source_url: str, settings: Settings) -> Iterator[Page]:
    """``pages`` checked against the paging rules; the first broken rule raises.

    The connector's generator is closed when the guard stops (or its consumer does).
    """
    guard = PagingGuard(source_url, settings)
    try:
        for page in pages:
            guard.check_page(page)
            yield page
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()
