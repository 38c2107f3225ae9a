"""SPARQL endpoints (data.europa.eu publishes one): paged CONSTRUCT of datasets.

A run first counts the datasets (``SELECT (COUNT(DISTINCT ?d) …)``), so a listing that
serves fewer than announced ends as *partial*, never as deletions. Each page is then one
CONSTRUCT over a sub-select of ``LIMIT``/``OFFSET`` dataset IRIs in a stable order,
returning the datasets, their distributions and the blank nodes under either (three levels).
Requests are GETs through the shared fetcher. A Virtuoso-style partial answer (HTTP 200
with ``X-SQL-State``, e.g. ``S1TAT`` after its anytime-query timeout, or HTTP 206) is
incomplete, never "these datasets were deleted": the run stops with a HarvestError.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlencode

import pyoxigraph as ox

from catalog.errors import DatalabError, HarvestError
from catalog.harvest.contract import Capability, Page
from catalog.harvest.rdf_listing import split_records
from catalog.rdf_bounds import ParseLimits
from catalog.rdf_input import format_from_media_type
from catalog.rdf_input import iter_triples as parse_rdf
from catalog.settings import Settings

ACCEPT = "application/n-triples, text/turtle;q=0.9"
ACCEPT_RESULTS = "application/sparql-results+json"

_TYPES = "VALUES ?type {{ dcat:Dataset dcat:DatasetSeries }}"
COUNT_QUERY = (
    "PREFIX dcat: <http://www.w3.org/ns/dcat#>\n"
    "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE {{ {graph_open} ?d a ?type . "
    + _TYPES
    + " {graph_close} }}"
)

PAGE_QUERY = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
CONSTRUCT {{ ?d ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 . ?o3 ?p4 ?o4 }}
WHERE {{
  {{ SELECT DISTINCT ?d WHERE {{ {graph_open} ?d a ?type .
       VALUES ?type {{ dcat:Dataset dcat:DatasetSeries }} {graph_close} }}
     ORDER BY ?d LIMIT {limit} OFFSET {offset} }}
  {graph_open}
  ?d ?p ?o .
  OPTIONAL {{ ?o ?p2 ?o2 . FILTER(isBlank(?o) || ?p = dcat:distribution)
    OPTIONAL {{ ?o2 ?p3 ?o3 . FILTER(isBlank(?o2))
      OPTIONAL {{ ?o3 ?p4 ?o4 . FILTER(isBlank(?o3)) }} }} }}
  {graph_close}
}}"""


class SparqlConnector:
    """Harvests datasets from a SPARQL 1.1 query endpoint with paged CONSTRUCT queries.

    Options: ``graph`` (a named graph to read from), ``rows`` (datasets per page),
    ``result_cap`` (the endpoint's row cap, e.g. Virtuoso's ``ResultSetMaxRows``: a page of
    that many triples or more was probably cut short, so the run stops).
    """

    kind: ClassVar[str] = "sparql"
    capabilities: ClassVar[Capability] = Capability.FULL_LISTING | Capability.COUNTED

    def __init__(
        self, url: str, settings: Settings, fetcher: Any, options: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        self.settings = settings
        self.fetcher = fetcher
        self.options = options or {}
        self.rows = int(self.options.get("rows", settings.harvest_page_size))
        if self.rows <= 0:
            raise HarvestError(f"rows must be a positive number, not {self.rows}", where="rows")
        graph = self.options.get("graph")
        if graph is not None:
            ox.NamedNode(graph)  # refuses an invalid IRI before it reaches a query
        self.graph = graph
        cap = self.options.get("result_cap")
        self.result_cap = int(cap) if cap is not None else None
        s = settings
        self.limits = ParseLimits.from_settings(s)

    def _graph(self) -> tuple[str, str]:
        return (f"GRAPH <{self.graph}> {{", "}") if self.graph else ("", "")

    def query(self, offset: int) -> str:
        """The CONSTRUCT query of the page starting at ``offset``."""
        opened, closed = self._graph()
        return PAGE_QUERY.format(
            graph_open=opened, graph_close=closed, limit=self.rows, offset=offset
        )

    def count_query(self) -> str:
        opened, closed = self._graph()
        return COUNT_QUERY.format(graph_open=opened, graph_close=closed)

    def _ask(self, query: str, accept: str) -> Any:
        url = f"{self.url}?{urlencode({'query': query})}"
        res = self.fetcher.get(url, accept=accept)
        headers = res.headers or {}
        state = headers.get("x-sql-state")
        if state or res.status == 206:
            why = headers.get("x-sql-message") or "no reason given"
            raise HarvestError(
                f"the endpoint returned a partial result (HTTP {res.status}, X-SQL-State "
                f"{state}: {why[:200]}); the listing is incomplete",
                where=self.url,
            )
        media = (res.media_type or "").lower()
        if media in {"text/html", "application/xhtml+xml"}:
            raise HarvestError(
                f"{self.url} served an HTML page, not SPARQL results", where=self.url
            )
        return res

    def count(self) -> int:
        """How many datasets the endpoint holds (the announced total of the listing)."""
        res = self._ask(self.count_query(), ACCEPT_RESULTS)
        try:
            bindings = json.loads(res.content)["results"]["bindings"]
            return int(bindings[0]["n"]["value"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise HarvestError(
                f"the dataset count query did not answer a number: {exc}", where=self.url
            ) from exc

    def pages(self, since: str | None = None) -> Iterator[Page]:
        """The listing by ``OFFSET``, until a page comes back short."""
        total = self.count()
        offset = 0
        number = 0
        while True:
            number += 1
            res = self._ask(self.query(offset), ACCEPT)
            try:
                fmt = format_from_media_type(res.media_type or "application/octet-stream")
                # a CONSTRUCT answer may repeat a triple once per solution (Oxigraph does)
                answered = [
                    ox.Triple(q.subject, q.predicate, q.object)
                    for q in parse_rdf(res.content, fmt, self.limits)
                ]
                raw = len(answered)
                triples = list(dict.fromkeys(answered))
            except DatalabError as exc:
                raise HarvestError(
                    f"page {number} could not be read: {exc}", where=self.url
                ) from exc
            if self.result_cap is not None and raw >= self.result_cap:
                raise HarvestError(
                    f"page {number} returned {raw} triples, the endpoint's result cap "
                    f"({self.result_cap}); it was probably cut short. Lower 'rows'",
                    where=self.url,
                )
            records, failures, extra = split_records(triples)
            page = Page(number, self._page_url(offset), records, failures, extra)
            page.total = total if number == 1 else None
            full = len(records) + len(failures) >= self.rows
            offset += self.rows
            page.next_url = self._page_url(offset) if full else None
            yield page
            if not full:
                return

    def _page_url(self, offset: int) -> str:
        return f"{self.url}#offset={offset}"
