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
from catalog.ownership import owned_closure, owns_written
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
    Hydra paging triples are dropped.

    The triples are read as their canonical N-Triples lines (``str`` of a triple): reading
    a term's attribute builds a new Python object each time and cost four times as much as
    the line. A subject is never a triple term and neither it nor a predicate holds a space,
    so a line splits into subject, predicate and object at its first two spaces, and two
    terms are equal when their written forms are.
    """
    lines = [str(t) for t in triples]
    hydra_nodes: set[str] = set()
    typed: dict[str, int] = {}  # dataset node (written form) → index of its first triple
    rows: list[tuple[str, str, str, int]] = []  # subject, predicate, object, index
    for i, line in enumerate(lines):
        s, p, o = line.split(" ", 2)
        if p == _RDF_TYPE and o[:2] != "<<":
            if o[0] == "<":
                kind = o[1:-1]
            elif o[0] == '"':  # a literal's value, unescaped by pyoxigraph
                kind = triples[i].object.value  # type: ignore[union-attr]
            else:
                kind = o  # a blank node's written form, never a type of interest
            if kind.startswith(HYDRA):
                hydra_nodes.add(s)
            elif kind in DATASET_TYPES:
                typed.setdefault(s, i)
        if not p.startswith(_HYDRA_IRI):
            rows.append((s, p, o, i))
    if hydra_nodes:
        rows = [row for row in rows if row[0] not in hydra_nodes]
    by_subject: dict[str, list[tuple[str, str, int]]] = {}
    for s, p, o, i in rows:
        by_subject.setdefault(s, []).append((p, o, i))
    used: set[str] = set()
    records: list[SourceRecord] = []
    failures: list[RecordFailure] = []
    for key, first in typed.items():
        if key in hydra_nodes:
            continue
        owned = _closure(key, by_subject)
        own = [i for s in owned for _, _, i in by_subject.get(s, ())]
        used.update(owned)
        node = triples[first].subject
        if not isinstance(node, (ox.NamedNode, ox.BlankNode)):  # never: no triple subjects
            continue
        ident = _first_value(triples, by_subject[key], _IDENTIFIER)
        modified = _first_value(triples, by_subject[key], _MODIFIED)
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
        own_triples, own_lines = [triples[i] for i in own], [lines[i] for i in own]
        records.append(SourceRecord(record_id, node, own_triples, modified, lines=own_lines))
    extra = [triples[i] for s, _, _, i in rows if s not in used]
    return records, failures, extra


_RDF_TYPE = f"<{RDF_TYPE}>"
_HYDRA_IRI = f"<{HYDRA}"
_IDENTIFIER = f"<{IDENTIFIER}>"
_MODIFIED = f"<{MODIFIED}>"


def _first_value(
    triples: list[ox.Triple], rows: list[tuple[str, str, int]], predicate: str
) -> str | None:
    """The value of the first ``predicate`` statement among a node's rows."""
    for p, o, i in rows:
        if p == predicate and o[:2] != "<<":
            return triples[i].object.value  # type: ignore[union-attr]
    return None


def _closure(node: str, by_subject: dict[str, list[tuple[str, str, int]]]) -> list[str]:
    """``node`` and the nodes it owns (the rule of :func:`catalog.ownership.owns`, on
    written forms: :func:`catalog.ownership.owns_written`), other described nodes only."""
    return owned_closure(
        node,
        lambda subject: ((p, o, o) for p, o, _i in by_subject.get(subject, ())),
        stop=lambda o: o not in by_subject,
        rule=owns_written,
    )


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
