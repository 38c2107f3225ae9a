"""SPARQL endpoints (data.europa.eu publishes one): paged CONSTRUCT of datasets.

Each page is one CONSTRUCT over a sub-select of ``LIMIT``/``OFFSET`` dataset IRIs in a
stable order, returning the datasets, their distributions and the blank nodes under
either (two levels). Requests are GETs through the shared fetcher. A Virtuoso-style partial
answer (``X-SQL-State: S1TAT``) is incomplete, never "these datasets were deleted".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlencode

import pyoxigraph as ox

from catalog.errors import DatalabError, HarvestError
from catalog.rdf_input import ParseLimits, format_from_media_type
from catalog.rdf_input import iter_triples as parse_rdf
from catalog.settings import Settings
from connectors.base import Capability, Page
from connectors.dcat import split_records

ACCEPT = "application/n-triples, text/turtle;q=0.9"

PAGE_QUERY = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
CONSTRUCT {{ ?d ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 }}
WHERE {{
  {{ SELECT DISTINCT ?d WHERE {{ {graph_open} ?d a ?type .
       VALUES ?type {{ dcat:Dataset dcat:DatasetSeries }} {graph_close} }}
     ORDER BY ?d LIMIT {limit} OFFSET {offset} }}
  {graph_open}
  ?d ?p ?o .
  OPTIONAL {{ ?o ?p2 ?o2 . FILTER(isBlank(?o) || ?p = dcat:distribution)
    OPTIONAL {{ ?o2 ?p3 ?o3 . FILTER(isBlank(?o2)) }} }}
  {graph_close}
}}"""


class SparqlConnector:
    """Harvests datasets from a SPARQL 1.1 query endpoint with paged CONSTRUCT queries.

    Options: ``graph`` (a named graph to read from), ``rows`` (datasets per page).
    """

    kind: ClassVar[str] = "sparql"
    capabilities: ClassVar[Capability] = Capability.FULL_LISTING

    def __init__(
        self, url: str, settings: Settings, fetcher: Any, options: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        self.settings = settings
        self.fetcher = fetcher
        self.options = options or {}
        self.rows = int(self.options.get("rows", settings.harvest_page_size))
        graph = self.options.get("graph")
        if graph is not None:
            ox.NamedNode(graph)  # refuses an invalid IRI before it reaches a query
        self.graph = graph
        s = settings
        self.limits = ParseLimits(
            s.max_document_bytes, s.max_triples, s.max_literal_bytes, s.max_nesting
        )

    def query(self, offset: int) -> str:
        opened, closed = (f"GRAPH <{self.graph}> {{", "}") if self.graph else ("", "")
        return PAGE_QUERY.format(
            graph_open=opened, graph_close=closed, limit=self.rows, offset=offset
        )

    def pages(self, since: str | None = None) -> Iterator[Page]:
        offset = 0
        for number in range(1, self.settings.harvest_max_pages + 1):
            url = f"{self.url}?{urlencode({'query': self.query(offset)})}"
            res = self.fetcher.get(url, accept=ACCEPT)
            headers = res.headers or {}
            state = headers.get("x-sql-state") or headers.get("X-SQL-State")
            if state or res.status == 206:
                raise HarvestError(
                    f"the endpoint returned a partial result (status {res.status}, "
                    f"X-SQL-State {state}); the listing is incomplete",
                    where=self.url,
                )
            try:
                fmt = format_from_media_type(res.media_type or "application/octet-stream")
                triples = [
                    ox.Triple(q.subject, q.predicate, q.object)
                    for q in parse_rdf(res.content, fmt, self.limits)
                ]
            except DatalabError as exc:
                raise HarvestError(f"page {number} could not be read: {exc}", where=url) from exc
            records, failures, extra = split_records(triples)
            yield Page(number, f"{self.url}#offset={offset}", records, failures, extra)
            if len(records) + len(failures) < self.rows:
                return
            offset += self.rows
        raise HarvestError(
            f"paging did not end after {self.settings.harvest_max_pages} pages", where=self.url
        )
