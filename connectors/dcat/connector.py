"""DCAT-AP RDF endpoints: any RDF syntax, Hydra paging, loop and cross-host detection.

The syntax comes from the response's Content-Type (an HTML page is refused in plain
words). A page points to the next one with ``hydra:next`` (``hydra:PartialCollectionView``),
``hydra:nextPage`` (the older ``hydra:PagedCollection``) or an HTTP ``Link: <…>; rel="next"``
header. The reading itself is :class:`catalog.harvest.rdf_listing.RdfListing`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from catalog.harvest.contract import Capability, Page
from catalog.harvest.rdf_listing import RdfListing
from catalog.settings import Settings


class DcatConnector:
    """Harvests a DCAT-AP catalogue published as RDF, following Hydra paging."""

    kind: ClassVar[str] = "dcat"
    capabilities: ClassVar[Capability] = Capability.FULL_LISTING | Capability.COUNTED

    def __init__(
        self, url: str, settings: Settings, fetcher: Any, options: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        self.settings = settings
        self.options = options or {}
        self.listing = RdfListing(url, settings, fetcher)

    def pages(self, since: str | None = None) -> Iterator[Page]:
        return self.listing.pages()
