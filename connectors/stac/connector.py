"""STAC APIs and static STAC catalogues (Copernicus Data Space and others) via pystac-client.

Every STAC collection becomes one ``dcat:Dataset`` in the earth-observation data space, with
its items *summarised* (never one record per scene): a bounded sample of the first items
page (``stac_items_sampled``) gives the platforms, instruments, processing levels and
resolution the collection summaries do not state, and the items endpoint becomes a
distribution. Spatial extent becomes a WKT box (split in two across the antimeridian);
temporal extent a ``dct:PeriodOfTime``. Pre-1.0 STAC objects are migrated by pystac.

pystac-client does its HTTP through :class:`FetcherStacIO`, which sends every GET through
the shared :class:`~catalog.outbound.fetcher.Fetcher` and refuses POST and local files.
The connector pages ``/collections`` along ``next`` links itself, announcing each as
:attr:`Page.next_url`: a link longer than ``stac_max_link_bytes`` stops it, and the runner's
paging guard (:mod:`catalog.harvest.paging`) refuses one to another host, one already
visited, and paging past ``harvest_max_pages``. Asset hrefs are never dereferenced. See
``docs/mapping-data-spaces.md``.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pystac
from pystac_client import Client
from pystac_client.conformance import ConformanceClasses
from pystac_client.stac_api_io import StacApiIO

from catalog.errors import DatalabError, FetchRefused, HarvestError, MappingError
from catalog.harvest.contract import Capability, Page, RecordFailure, SourceRecord
from catalog.harvest.paging import check_link_length
from catalog.settings import Settings
from connectors.stac.mapping import CollectionMapper

log = logging.getLogger(__name__)
ACCEPT = "application/json, application/geo+json;q=0.9"


#: Links pystac would resolve (and so fetch) on its own; the connector never needs them.
_NAVIGATION = {"root", "parent", "child", "collection", "self"}


def _inert_links(links: Any) -> list[dict[str, Any]]:
    """A collection's links without the navigation links pystac would dereference."""
    if not isinstance(links, list):
        return []
    return [
        link
        for link in links
        if isinstance(link, dict)
        and isinstance(link.get("href"), str)
        and link.get("rel") not in _NAVIGATION
    ]


class FetcherStacIO(StacApiIO):
    """A pystac-client StacIO whose every request is a bounded GET by our fetcher."""

    def __init__(self, fetcher: Any, settings: Settings) -> None:
        super().__init__()
        self.fetcher = fetcher
        self.settings = settings

    def request(
        self,
        href: str,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> str:
        if (method or "GET").upper() != "GET":
            raise FetchRefused(f"the STAC connector only reads; {method} refused", where=href)
        if urlsplit(href).scheme not in {"http", "https"}:
            raise FetchRefused(f"STAC link {href!r} is not an http(s) URL", where=href)
        if parameters:
            sep = "&" if "?" in href else "?"
            href = href + sep + urlencode(parameters)
        res = self.fetcher.get(href, accept=ACCEPT)
        if (res.media_type or "") in {"text/html", "application/xhtml+xml"}:
            raise HarvestError(f"{href} served an HTML page, not STAC JSON", where=href)
        text: str = res.content.decode("utf-8", errors="replace")
        return text

    def read_text(self, source: Any, *args: Any, **kwargs: Any) -> str:
        href = source.get_absolute_href() if isinstance(source, pystac.Link) else str(source)
        return self.request(str(href))

    def read_json(self, source: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        text = self.read_text(source)
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise HarvestError(f"{source} is not JSON: {exc}", where=str(source)) from exc
        if not isinstance(doc, dict):
            raise HarvestError(f"{source} is not a JSON object", where=str(source))
        return doc

    def get_pages(
        self,
        url: str,
        method: str | None = None,
        parameters: dict[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Refused: pystac-client's own paging is never used (the connector pages itself,
        under the runner's paging guard)."""
        raise FetchRefused("the STAC connector pages only through its listing", where=url)


def next_href(doc: dict[str, Any], url: str) -> str | None:
    """The absolute target of a STAC page's ``rel="next"`` link, if any."""
    nxt = next(
        (
            link.get("href")
            for link in doc.get("links") or []
            if isinstance(link, dict) and link.get("rel") == "next"
        ),
        None,
    )
    return urljoin(url, nxt) if isinstance(nxt, str) and nxt else None


class StacConnector:
    """Harvests the collections of a STAC API or static catalogue as DCAT-AP datasets."""

    kind: ClassVar[str] = "stac"
    capabilities: ClassVar[Capability] = Capability.FULL_LISTING

    def __init__(
        self, url: str, settings: Settings, fetcher: Any, options: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        self.settings = settings
        self.options = options or {}
        self.io = FetcherStacIO(fetcher, settings)
        self.mapper = CollectionMapper(str(self.options.get("data_space", "earth-observation")))

    def _open(self) -> Client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return Client.open(self.url, stac_io=self.io)
            except DatalabError:
                raise
            except Exception as exc:
                raise HarvestError(
                    f"{self.url} is not a readable STAC catalogue: {exc}", where=self.url
                ) from exc

    def pages(self, since: str | None = None) -> Iterator[Page]:
        client = self._open()
        if client.conforms_to(ConformanceClasses.COLLECTIONS):
            data = client.get_single_link("data")
            href = data.get_absolute_href() if data else self.url.rstrip("/") + "/collections"
            yield from self._collection_pages(str(href))
            return
        out = Page(1, self.url)
        children = client.get_child_links()
        for link in children[: self.settings.harvest_max_pages * self.settings.harvest_page_size]:
            href = str(link.get_absolute_href())
            try:
                raw = self.io.read_json(href)
            except DatalabError as exc:
                out.failures.append(RecordFailure(href, f"child could not be read: {exc}"))
                continue
            self._map(raw, out, api=False, href=href)
        yield out

    def _collection_pages(self, href: str) -> Iterator[Page]:
        """``/collections`` page by page along its next links, until a page lists none."""
        url: str | None = href
        number = 0
        while url:
            number += 1
            doc = self.io.read_json(url)
            if not (doc.get("features") or doc.get("collections")):
                return
            out = Page(number, url, next_url=next_href(doc, url))
            for raw in doc.get("collections") or []:
                self._map(raw, out, api=True)
            yield out
            if out.next_url:
                check_link_length(out.next_url, number, self.settings, where=self.url)
            url = out.next_url

    def _map(self, raw: Any, page: Page, *, api: bool, href: str | None = None) -> None:
        cid = str(raw.get("id")) if isinstance(raw, dict) else "(not an object)"
        try:
            if not isinstance(raw, dict):
                raise MappingError("a collection entry is not a JSON object")
            raw = {**raw, "links": _inert_links(raw.get("links"))}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                collection = pystac.Collection.from_dict(raw, href=href, migrate=True)
            if href is None:
                collection.set_self_href(urljoin(self.url.rstrip("/") + "/", f"collections/{cid}"))
            items, matched, items_url = self._items(collection, api)
            if self.options.get("iri_base"):
                collection.set_self_href(f"{self.options['iri_base']}{quote(cid, safe='')}")
            iri, triples = self.mapper.map(collection, items, matched, items_url)
        except MappingError as exc:
            page.failures.append(RecordFailure(cid, exc.message))
            return
        except DatalabError as exc:
            page.failures.append(RecordFailure(cid, f"collection could not be read: {exc}"))
            return
        except (TypeError, ValueError, KeyError, AttributeError, pystac.STACError) as exc:
            page.failures.append(RecordFailure(cid, f"collection could not be mapped: {exc}"))
            return
        page.records.append(SourceRecord(cid, iri, triples))

    def _items(
        self, collection: pystac.Collection, api: bool
    ) -> tuple[list[dict[str, Any]], int | None, str | None]:
        """A bounded sample of the collection's items, numberMatched, and the items URL."""
        limit = self.settings.stac_items_sampled
        link = collection.get_single_link("items")
        if link is None and api and collection.get_self_href():
            url: str | None = str(collection.get_self_href()).rstrip("/") + "/items"
        else:
            url = str(link.get_absolute_href()) if link is not None else None
        if url is None or not url.startswith(("http://", "https://")):
            static = collection.get_item_links()
            return [], len(static) if static else None, None
        if limit == 0:
            return [], None, url
        sep = "&" if "?" in url else "?"
        try:
            page = self.io.read_json(f"{url}{sep}limit={limit}")
        except DatalabError as exc:
            log.warning("items of %s could not be sampled: %s", collection.id, exc)
            return [], None, url
        features = page.get("features")
        items = [f for f in features[:limit] if isinstance(f, dict)] if features else []
        matched = page.get("numberMatched")
        if not isinstance(matched, int) or matched < len(items) or matched < 0:
            matched = None  # a count that contradicts what is served is not repeated
        return items, matched, url
