"""Reading a DCAT-AP catalogue published as RDF: any syntax, Hydra paging, a record per dataset.

Shared by every connector that reads DCAT-AP RDF (DCAT, HealthDCAT-AP, SPARQL): the
connectors depend on this domain module, never on each other.

The syntax comes from the response's Content-Type (an HTML page is refused in plain
words). A page points to the next one with ``hydra:next`` (``hydra:PartialCollectionView``),
``hydra:nextPage`` (the older ``hydra:PagedCollection``) or an HTTP ``Link: <…>; rel="next"``
header, announced as :attr:`Page.next_url`: the runner's paging guard
(:mod:`catalog.harvest.paging`) refuses a next link that was already visited or leaves the
source's host, and paging that runs past ``harvest_max_pages``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox

from catalog.errors import DatalabError, HarvestError
from catalog.harvest.contract import Page, RecordFailure, SourceRecord
from catalog.ownership import owned_closure
from catalog.rdf_bounds import ParseLimits
from catalog.rdf_input import default_context_resolver, format_from_media_type
from catalog.rdf_input import iter_triples as parse_rdf
from catalog.settings import Settings

HYDRA = "http://www.w3.org/ns/hydra/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DATASET_TYPES = {"http://www.w3.org/ns/dcat#Dataset", "http://www.w3.org/ns/dcat#DatasetSeries"}
IDENTIFIER = "http://purl.org/dc/terms/identifier"
MODIFIED = "http://purl.org/dc/terms/modified"
NEXT_PREDICATES = {HYDRA + "next", HYDRA + "nextPage"}
TOTAL_PREDICATES = {HYDRA + "totalItems"}
ACCEPT = (
    "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8, "
    "application/n-triples;q=0.7, application/trig;q=0.5"
)
_LINK_NEXT = re.compile(r"<([^>]*)>\s*;[^,]*\brel=\"?next\"?", re.IGNORECASE)


def split_records(
    triples: list[ox.Triple],
) -> tuple[list[SourceRecord], list[RecordFailure], list[ox.Triple]]:
    """Cut a page's triples into records (one per dataset) and the rest.

    A record is the dataset node, its blank nodes and its distributions, recursively.
    Hydra paging triples are dropped. Each triple's terms are read once (every attribute
    read of a pyoxigraph term builds a new Python object).
    """
    hydra_nodes: set[Any] = set()
    typed: list[Any] = []
    rows: list[tuple[Any, str, ox.Triple]] = []
    for t in triples:
        s, p = t.subject, t.predicate.value
        if p == RDF_TYPE and not isinstance(t.object, ox.Triple):
            kind = t.object.value
            if kind.startswith(HYDRA):
                hydra_nodes.add(s)
            elif kind in DATASET_TYPES:
                typed.append(s)
        if not p.startswith(HYDRA):
            rows.append((s, p, t))
    if hydra_nodes:
        rows = [row for row in rows if row[0] not in hydra_nodes]
    by_subject: dict[Any, list[tuple[str, ox.Triple]]] = {}
    for s, p, t in rows:
        by_subject.setdefault(s, []).append((p, t))
    used: set[Any] = set()
    records: list[SourceRecord] = []
    failures: list[RecordFailure] = []
    for node in dict.fromkeys(typed):
        if node in hydra_nodes:
            continue
        owned = _closure(node, by_subject)
        own_triples = [t for s in owned for _, t in by_subject.get(s, ())]
        used |= owned
        ident = _first_value(by_subject[node], IDENTIFIER)
        modified = _first_value(by_subject[node], MODIFIED)
        if isinstance(node, ox.NamedNode):
            record_id = node.value
        elif ident:
            record_id = ident
        else:
            failures.append(
                RecordFailure(
                    "(blank node)",
                    "a dataset without an IRI and without dct:identifier has no stable "
                    "identity; it was skipped",
                )
            )
            continue
        records.append(SourceRecord(record_id, node, own_triples, modified))
    extra = [t for s, _, t in rows if s not in used]
    return records, failures, extra


def _first_value(rows: list[tuple[str, ox.Triple]], predicate: str) -> str | None:
    """The value of the first ``predicate`` statement among a node's rows."""
    for p, t in rows:
        if p == predicate and not isinstance(t.object, ox.Triple):
            return t.object.value
    return None


def _closure(node: Any, by_subject: dict[Any, list[tuple[str, ox.Triple]]]) -> set[Any]:
    def links(s: Any) -> Iterable[tuple[str, object, Any]]:
        for p, t in by_subject.get(s, ()):
            yield p, t.object, t.object

    return set(owned_closure(node, links, stop=lambda o: o not in by_subject))


def _first_object(
    triples: Iterable[ox.Triple], predicates: set[str]
) -> ox.Literal | ox.NamedNode | None:
    for t in triples:
        if t.predicate.value in predicates:
            return t.object  # type: ignore[return-value]
    return None


class RdfListing:
    """A DCAT-AP catalogue published as RDF, read page by page along its Hydra paging."""

    def __init__(self, url: str, settings: Settings, fetcher: Any) -> None:
        self.url = url
        self.settings = settings
        self.fetcher = fetcher
        s = settings
        self.limits = ParseLimits.from_settings(s)
        self.resolver = default_context_resolver(s.jsonld_contexts)

    def fetch_page(self, url: str) -> tuple[list[ox.Triple], str | None, str]:
        """One page's triples, the next page's URL if any, and the final URL fetched."""
        res = self.fetcher.get(url, accept=ACCEPT)
        if res.status >= 400:
            raise HarvestError(f"{url} answered HTTP {res.status}", where=url)
        media = (res.media_type or "").split(";", 1)[0].strip().lower()
        if media in {"text/html", "application/xhtml+xml"}:
            raise HarvestError(
                f"{url} served an HTML page (status {res.status}), not an RDF document",
                where=url,
            )
        if not res.content.strip():
            raise HarvestError(f"{url} served an empty body", where=url)
        try:
            fmt = format_from_media_type(media or "application/octet-stream")
            # ``Quad.triple`` is built by pyoxigraph itself: ~15 times cheaper than
            # ``ox.Triple(q.subject, q.predicate, q.object)``.
            triples = [
                q.triple
                for q in parse_rdf(
                    res.content, fmt, self.limits, base_iri=res.url, resolver=self.resolver
                )
            ]
        except DatalabError as exc:
            raise HarvestError(f"page {url} could not be read: {exc}", where=url) from exc
        nxt = _first_object(triples, NEXT_PREDICATES)
        next_url = nxt.value if nxt is not None else None
        if next_url is None:
            link = (res.headers or {}).get("link") or (res.headers or {}).get("Link")
            match = _LINK_NEXT.search(link or "")
            next_url = match.group(1) if match else None
        return triples, urljoin(res.url, next_url) if next_url else None, res.url

    def pages(self, since: str | None = None) -> Iterator[Page]:
        """The listing along its next links (a plain loop: the guard checks the paging)."""
        url: str | None = self.url
        number = 0
        while url:
            number += 1
            triples, next_url, _final = self.fetch_page(url)
            records, failures, extra = split_records(triples)
            total = _first_object(triples, TOTAL_PREDICATES)
            page = Page(number, url, records, failures, extra, next_url=next_url)
            if isinstance(total, ox.Literal) and total.value.isdigit():
                page.total = int(total.value)
            yield page
            url = next_url
