"""CKAN portals through ``ckanapi``, with every request made by the shared fetcher.

``ckanapi.RemoteCKAN`` has no default timeout and its sessions follow redirects, so it is
given a session whose ``get`` goes through :class:`catalog.outbound.fetcher.Fetcher` (bounded,
SSRF-checked, polite) and which refuses to ``post``. The listing is ``package_search``
ordered by ``metadata_modified asc, id asc``, paged by ``start``/``rows``; an incremental
run asks ``metadata_modified:[since TO *]``. Packages are mapped by
:mod:`connectors.ckan.mapping`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

import ckanapi
import pyoxigraph as ox
from ckanapi.errors import CKANAPIError

from catalog.errors import FetchRefused, HarvestError, MappingError
from catalog.federation.ckan_import import PackageMapper
from catalog.harvest.contract import Capability, Page, RecordFailure, SourceRecord
from catalog.settings import Settings

_CURSOR = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z?$")


@dataclass
class _Response:
    status_code: int
    text: str


class FetcherSession:
    """The part of ``requests.Session`` that ckanapi uses, backed by our fetcher."""

    def __init__(self, fetcher: Any) -> None:
        self.fetcher = fetcher

    def get(self, url: str, params: dict[str, Any] | None = None, **_: Any) -> _Response:
        if params:
            url = f"{url}?{urlencode({k: v for k, v in params.items() if v is not None})}"
        res = self.fetcher.get(url, accept="application/json")
        media = (res.media_type or "").split(";", 1)[0].strip().lower()
        if media in {"text/html", "application/xhtml+xml"}:
            raise HarvestError(
                f"{url} served an HTML page (status {res.status}; a login or error page?) "
                "instead of CKAN API JSON",
                where=url,
            )
        return _Response(res.status, res.content.decode("utf-8", errors="replace"))

    def post(self, url: str, *_: Any, **__: Any) -> _Response:
        raise FetchRefused("the CKAN connector only reads; POST is never sent", where=url)


def check_cursor(since: str | None) -> str | None:
    """A ``metadata_modified`` cursor usable in a Solr range, or None if it is not one."""
    if since is None:
        return None
    if not _CURSOR.match(since):
        raise HarvestError(f"incremental cursor {since!r} is not an ISO date-time")
    return since if since.endswith("Z") else since + "Z"


class CkanConnector:
    """Harvests a CKAN portal's public, active datasets with ``package_search``."""

    kind: ClassVar[str] = "ckan"
    capabilities: ClassVar[Capability] = (
        Capability.FULL_LISTING | Capability.INCREMENTAL | Capability.COUNTED
    )

    def __init__(
        self, url: str, settings: Settings, fetcher: Any, options: dict[str, Any] | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.settings = settings
        self.options = options or {}
        self.rows = int(self.options.get("rows", settings.harvest_page_size))
        self.api = ckanapi.RemoteCKAN(
            self.url,
            get_only=True,
            session=FetcherSession(fetcher),
            user_agent=settings.fetch_user_agent,
        )
        self.mapper = PackageMapper(self.options.get("site", self.url))

    def _search(self, start: int, since: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "q": self.options.get("q", "*:*"),
            "rows": self.rows,
            "start": start,
            "sort": "metadata_modified asc, id asc",
        }
        if since:
            params["fq"] = f"metadata_modified:[{since} TO *]"
        try:
            result = self.api.call_action("package_search", params)
        except KeyError as exc:
            raise HarvestError(
                "package_search answered success: true but without a result", where=self.url
            ) from exc
        except CKANAPIError as exc:
            raise HarvestError(f"package_search failed: {str(exc)[:300]}", where=self.url) from exc
        if (
            not isinstance(result, dict)
            or not isinstance(result.get("results"), list)
            or not isinstance(result.get("count"), int)
        ):
            raise HarvestError(
                "package_search answered a result that is not {count, results}", where=self.url
            )
        return result

    def pages(self, since: str | None = None) -> Iterator[Page]:
        """The listing by ``start``; a page of nothing but repeats is passed on whole, for
        the runner's paging guard to refuse."""
        since = check_cursor(since)
        start = 0
        number = 0
        seen: set[str] = set()
        while True:
            number += 1
            result = self._search(start, since)
            packages = result["results"]
            page = Page(number, self._page_url(start), total=result["count"])
            if not packages:
                yield page
                return
            ids = [pkg.get("id") if isinstance(pkg, dict) else None for pkg in packages]
            all_seen = all(isinstance(pid, str) and pid in seen for pid in ids)
            for pkg, pid in zip(packages, ids, strict=True):
                if isinstance(pid, str) and pid in seen and not all_seen:
                    continue  # shifted by an insertion while paging: already harvested
                if isinstance(pid, str):
                    seen.add(pid)
                self._map_one(pkg, page)
            start += len(packages)
            if start < result["count"]:
                page.next_url = self._page_url(start)
            yield page
            if page.next_url is None:
                return

    def _page_url(self, start: int) -> str:
        return f"{self.url}/api/action/package_search?start={start}"

    def _map_one(self, pkg: Any, page: Page) -> None:
        pid = str(pkg.get("id")) if isinstance(pkg, dict) else "(not an object)"
        if isinstance(pkg, dict) and (pkg.get("private") or pkg.get("state", "active") != "active"):
            return
        try:
            # N-Triples lines, not ox.Triples: the runner stores and hashes the lines
            iri, lines = self.mapper.lines(pkg)
        except MappingError as exc:
            page.failures.append(RecordFailure(pid, exc.message))
            return
        except (TypeError, ValueError, AttributeError) as exc:
            page.failures.append(RecordFailure(pid, f"package could not be mapped: {exc}"))
            return
        modified = pkg.get("metadata_modified")
        page.records.append(SourceRecord(pid, ox.NamedNode(iri), modified=modified, lines=lines))
