"""Dataspace Protocol 2025-1 catalogues (EDC and other DSP connectors).

The connector POSTs a ``CatalogRequestMessage`` to ``<url>/catalog/request`` (or to ``url``
when it already ends so) and reads the ``Catalog`` answer: every ``dcat:Dataset`` becomes a
record carrying its ``odrl:hasPolicy`` offers as ODRL triples, its distributions and their
``dcat:DataService`` endpoint, tagged ``dlab:dataSpace`` (option ``data_space``, default
``research``). A ``Link: <…>; rel="next"`` header pages on (the same message is POSTed to
it); a next link longer than ``stac_max_link_bytes`` stops the run, and so does (in the
runner's paging guard, :mod:`catalog.harvest.paging`) one to another host, one already
visited, or paging past ``harvest_max_pages``.

POSTs go through a :class:`catalog.outbound.fetcher.Fetcher` whose HTTP client sends the catalogue
request body: every cap, SSRF check and politeness rule of the shared fetcher applies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin

from catalog.errors import HarvestError
from catalog.harvest.contract import Capability, Page
from catalog.harvest.paging import check_link_length
from catalog.outbound.fetcher import Fetcher
from catalog.outbound.post import JsonPoster
from catalog.rdf_bounds import ParseLimits
from catalog.rdf_input import default_context_resolver
from catalog.settings import Settings
from connectors.dsp.mapping import (
    catalog_request,
    parse_triples,
    read_catalog_json,
    split_records,
    structural_failures,
)

ACCEPT = "application/json, application/ld+json;q=0.9"
_LINK_NEXT = re.compile(r"<([^>]*)>\s*;[^,]*\brel=\"?next\"?", re.IGNORECASE)


def next_link(headers: Any) -> str | None:
    """The target of a ``Link: <…>; rel="next"`` header, if any."""
    value = (headers or {}).get("link") or (headers or {}).get("Link") or ""
    match = _LINK_NEXT.search(value)
    return match.group(1) if match else None


def request_url(url: str) -> str:
    """The catalogue request endpoint for a connector's base URL."""
    base = url.rstrip("/")
    return base if base.endswith("/catalog/request") else base + "/catalog/request"


class DspConnector:
    """Harvests a Dataspace Protocol 2025-1 catalogue with CatalogRequestMessage."""

    kind: ClassVar[str] = "dsp"
    capabilities: ClassVar[Capability] = Capability.FULL_LISTING

    def __init__(
        self, url: str, settings: Settings, fetcher: Any, options: dict[str, Any] | None = None
    ) -> None:
        self.settings = settings
        self.options = options or {}
        self.url = request_url(url)
        self.data_space = str(self.options.get("data_space", "research"))
        self.body = json.dumps(catalog_request(self.options.get("filter"))).encode("utf-8")
        self.token = self.options.get("token")
        s = settings
        self.limits = ParseLimits.from_settings(s)
        self.resolver = default_context_resolver(s.jsonld_contexts)

    def _post(self, fetcher: Fetcher, url: str) -> tuple[bytes, str | None, str]:
        headers = {"Authorization": str(self.token)} if self.token else None
        res = fetcher.get(url, accept=ACCEPT, headers=headers)
        media = (res.media_type or "").lower()
        if media in {"text/html", "application/xhtml+xml"}:
            raise HarvestError(
                f"{url} served an HTML page, not a DSP catalogue (a login page?)", where=url
            )
        nxt = next_link(res.headers)
        return res.content, urljoin(res.url, nxt) if nxt else None, res.url

    def pages(self, since: str | None = None) -> Iterator[Page]:
        client = JsonPoster(self.body)
        try:
            with Fetcher(self.settings, client=client) as fetcher:
                yield from self._pages(fetcher)
        finally:
            client.close()

    def _pages(self, fetcher: Fetcher) -> Iterator[Page]:
        url: str | None = self.url
        number = 0
        while url:
            number += 1
            content, next_url, final = self._post(fetcher, url)
            doc = read_catalog_json(content, final)
            broken = structural_failures(doc)
            triples = parse_triples(content, final, self.limits, self.resolver)
            records, failures = split_records(triples, self.data_space, broken)
            yield Page(number, url, records, failures, next_url=next_url)
            if next_url:
                check_link_length(next_url, number, self.settings, where=self.url)
            url = next_url
