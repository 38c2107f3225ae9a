"""An example third-party connector: a whole catalogue in one RDF dump file.

It shows what a connector package needs: a class with ``kind`` and ``capabilities``,
built as ``cls(url, settings, fetcher, options)``, whose ``pages()`` yields
:class:`catalog.harvest.contract.Page` objects; every request goes through the fetcher it is given
(bounded, SSRF-checked, polite), and a broken answer raises instead of returning (returning
means "the listing is complete"). Its entry point, in ``pyproject.toml``::

    [project.entry-points."datalab.connectors"]
    example = "datalab_example_connector:DumpConnector"
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pyoxigraph as ox

from catalog.errors import DatalabError, HarvestError
from catalog.harvest.contract import Capability, Page
from catalog.harvest.rdf_listing import split_records
from catalog.rdf_input import ParseLimits, format_from_media_type, iter_triples
from catalog.settings import Settings

__all__ = ["DumpConnector"]


class DumpConnector:
    """Reads every dataset of one RDF document (any syntax the catalogue reads)."""

    kind: ClassVar[str] = "example"
    capabilities: ClassVar[Capability] = Capability.FULL_LISTING

    def __init__(
        self, url: str, settings: Settings, fetcher: Any, options: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        self.settings = settings
        self.fetcher = fetcher
        self.options = options or {}

    def pages(self, since: str | None = None) -> Iterator[Page]:
        res = self.fetcher.get(self.url, accept="text/turtle, application/n-triples;q=0.9")
        media = (res.media_type or "application/octet-stream").lower()
        if media in {"text/html", "application/xhtml+xml"}:
            raise HarvestError(f"{self.url} served an HTML page, not RDF", where=self.url)
        s = self.settings
        limits = ParseLimits.from_settings(s)
        try:
            triples = [
                ox.Triple(q.subject, q.predicate, q.object)
                for q in iter_triples(res.content, format_from_media_type(media), limits)
            ]
        except DatalabError as exc:
            raise HarvestError(f"{self.url} could not be read: {exc}", where=self.url) from exc
        records, failures, extra = split_records(triples)
        yield Page(1, res.url, records, failures, extra, total=len(records) + len(failures))
